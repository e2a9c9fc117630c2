"""The review library: people and roles, decisions, the queue, cases and case files. The web console
(auditor/serve) and the CLI are thin layers over it; the tests call it directly.

May import images/ (banks follow decisions), rules/, the store and the shared vocabulary; never report/, run/
or above."""
