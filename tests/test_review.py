"""The review library without a browser: logins and lockout, decisions and what they change, the queue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from auditor.errors import AuditorError
from auditor.models import Hit, Listing, Match, RunSummary
from auditor.review import decisions as dec
from auditor.review import queue as q
from auditor.review.users import LoginError, add_user, login, open_session, session_user
from auditor.run.settle import settle_run

T0 = datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc)
LABEL = Hit("ai_poster.label", "label", "high", (), (Match("title", "AI美女", 0, 4),))
PRINT = Hit("ai_poster.sold_as_print", "print", "critical", (), (Match("title", "AI美女", 0, 4),))


def audit(store, at, listings, kind="scheduled"):
    run = store.start_run(at, ["t"], [], kind=kind)
    for x, hits in listings:
        store.record_listing(run, "t", x, hits, at)
    store.record_target(run, "t", complete=True, reason=None, pages_ok=len(listings), pages_failed=0, listings=len(listings))
    settle_run(store, run, ["t"], kind, at, suppressed=dec.suppressed(store))
    store.finish_run(RunSummary(run, "completed", at, at, ["t"], pages_ok=len(listings)))
    return run


def listing(i, title="AI美女 ポスター", status="active", hours=None):
    return Listing("demo_auction", f"x{i}", f"http://h/x{i}", f"{title} {i}", price=Decimal(1000 + i), currency="JPY",
                   seller_id=f"s{i % 3}", status=status, end_time=T0 + timedelta(hours=hours) if hours else None)


def test_the_tenth_failed_login_from_a_place_makes_it_wait_even_for_the_right_password(store):
    add_user(store, "ana", "reviewer", "a long enough secret", T0)
    for n in range(10):
        with pytest.raises(LoginError):
            login(store, "ana", "wrong", T0 + timedelta(seconds=n), address="10.0.0.9")
    with pytest.raises(LoginError, match="waits 15 minutes"):
        login(store, "ana", "a long enough secret", T0 + timedelta(minutes=1), address="10.0.0.9")
    assert login(store, "ana", "a long enough secret", T0 + timedelta(minutes=1), address="10.0.0.7").name == "ana"
    assert login(store, "ana", "a long enough secret", T0 + timedelta(minutes=16), address="10.0.0.9").name == "ana"
    assert store.user_named("ana")["password_hash"].startswith("$argon2id$")


def test_guesses_sent_at_once_are_each_counted(store, database):
    """Twenty wrong passwords in twenty threads, each with its own connection as the console's threads have:
    at most ten are checked, the place then waits, and the right password is refused."""
    from concurrent.futures import ThreadPoolExecutor

    from auditor.store import Store

    add_user(store, "ana", "reviewer", "a long enough secret", T0)

    def guess(n):
        with Store(database) as own:
            try:
                login(own, "ana", f"wrong {n}", T0, address="10.0.0.9")
            except LoginError:
                return "refused"
            return "in"

    with ThreadPoolExecutor(20) as pool:
        assert set(pool.map(guess, range(20))) == {"refused"}
    with pytest.raises(LoginError):
        login(store, "ana", "a long enough secret", T0 + timedelta(minutes=1), address="10.0.0.9")
    from auditor.review.users import unlock

    assert unlock(store, "ana") == 1  # an admin lets that place try again at once
    assert login(store, "ana", "a long enough secret", T0 + timedelta(minutes=1), address="10.0.0.9").name == "ana"


def test_every_failure_says_the_same_whatever_the_name(store):
    add_user(store, "ana", "reviewer", "a long enough secret", T0)
    add_user(store, "old", "reviewer", "a long enough secret", T0)
    from auditor.review.users import disable

    disable(store, "old")
    said = set()
    for name, password in (("ana", "wrong"), ("nobody", "wrong"), ("old", "a long enough secret")):
        with pytest.raises(LoginError) as e:
            login(store, name, password, T0, address="10.0.0.1")
        said.add(str(e.value))
    for _ in range(10):  # and a place that must wait
        with pytest.raises(LoginError):
            login(store, "nobody", "wrong", T0, address="10.0.0.2")
    with pytest.raises(LoginError) as e:
        login(store, "nobody", "wrong", T0, address="10.0.0.2")
    said.add(str(e.value))
    assert len(said) == 1


def test_a_password_easy_to_guess_or_made_of_the_name_is_refused(store):
    for password in ("aaaaaaaaaaaa", "password123", "anastasia2026", "qwertyuiop", "1234567890"):
        with pytest.raises(AuditorError, match="too easy to guess"):
            add_user(store, "anastasia", "reviewer", password, T0)
    assert add_user(store, "anastasia", "reviewer", "violet tram ledger", T0).name == "anastasia"


def test_sessions_expire_and_end_when_the_user_is_disabled(store):
    user = add_user(store, "ben", "lead", "a long enough secret", T0)
    token, csrf = open_session(store, user, T0)
    assert session_user(store, token, T0 + timedelta(hours=1)) == (user, csrf)
    assert session_user(store, token, T0 + timedelta(hours=13)) is None
    from auditor.review.users import disable

    token, _ = open_session(store, user, T0)
    disable(store, "ben")
    assert session_user(store, token, T0) is None
    with pytest.raises(AuditorError, match="at least 10"):
        add_user(store, "cy", "reviewer", "short", T0)


def test_a_false_positive_stays_quiet_until_the_text_changes(store):
    user = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    audit(store, T0, [(listing(1), [LABEL]), (listing(2), [LABEL])])
    dec.decide(store, user, [("demo_auction", "x1")], "false_positive", T0)
    second = audit(store, T0 + timedelta(days=1), [(listing(1), [LABEL]), (listing(2), [LABEL])])
    states = {r["item_id"]: r["state"] for r in store.states_of_run(second)}
    assert states == {"x1": "cleared", "x2": "active"}
    third = audit(store, T0 + timedelta(days=2), [(listing(1, "AI美女 ポスター 再出品"), [LABEL]), (listing(2), [LABEL])])
    assert {r["item_id"]: r["state"] for r in store.states_of_run(third)}["x1"] == "new"
    assert ("demo_auction", "x1") in {c.key for c in q.queue(store, q.Filters(), T0)}


def test_a_takedown_request_needs_a_ticket_and_decisions_are_append_only(store):
    user = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    audit(store, T0, [(listing(1), [LABEL])])
    with pytest.raises(AuditorError, match="ticket"):
        dec.decide(store, user, [("demo_auction", "x1")], "takedown_requested", T0)
    first = dec.decide(store, user, [("demo_auction", "x1")], "confirmed", T0)[0]
    second = dec.decide(store, user, [("demo_auction", "x1")], "takedown_requested", T0, ticket="T-1")[0]
    rows = store.decisions_for("demo_auction", "x1")
    assert [(r["id"], r["verdict"], r["replaces"]) for r in rows] == [(first, "confirmed", None),
                                                                      (second, "takedown_requested", first)]
    assert rows[1]["rules"] == '{"ai_poster.label": "high"}'  # which rules it was decided on


def test_the_queue_is_act_first_in_sql_as_in_python(store):
    items = [(listing(i, hours=(i * 7) % 50 or None, status="active"), [LABEL] if i % 2 else [LABEL, PRINT])
             for i in range(1, 40)]
    audit(store, T0, items)
    user = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    dec.decide(store, user, [("demo_auction", "x3")], "confirmed", T0)
    dec.decide(store, user, [("demo_auction", "x4")], "escalate", T0)
    for filters in (q.Filters(), q.Filters(severity="critical"), q.Filters(rule="ai_poster.sold_as_print"),
                    q.Filters(seller="s1"), q.Filters(queue="escalated"), q.Filters(queue="followed")):
        total, page = q.queue_page(store, filters, T0, per_page=10)
        full = q.queue(store, filters, T0)
        assert total == len(full) and [c.key for c in page] == [c.key for c in full[:10]], filters
    keys = [c.key for c in q.queue(store, q.Filters(), T0)]
    assert ("demo_auction", "x3") not in keys and ("demo_auction", "x4") not in keys
    assert q.queue(store, q.Filters(queue="escalated"), T0)[0].key == ("demo_auction", "x4")
    first = q.queue(store, q.Filters(), T0)[0]
    assert first.severity == "critical" and first.end_time is not None  # most severe, ending soonest


def test_the_text_filter_reads_text_as_the_rules_do(store):
    audit(store, T0, [(listing(1, "ＡＩ美女 ポスター"), [LABEL]), (listing(2, "A I 美 女 タペストリー"), [LABEL]),
                      (listing(3, "AIイラスト"), [LABEL])])
    found = {c.item_id for c in q.queue(store, q.Filters(text="AI美女"), T0)}
    assert found == {"x1", "x2"}
    assert {c.item_id for c in q.queue(store, q.Filters(text="たぺすとりー"), T0)} == {"x2"}


def test_rule_precision_is_confirmed_over_decided(store):
    user = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    audit(store, T0, [(listing(i), [LABEL]) for i in range(1, 6)])
    dec.decide(store, user, [("demo_auction", "x1"), ("demo_auction", "x2"), ("demo_auction", "x3")], "confirmed", T0)
    dec.decide(store, user, [("demo_auction", "x4")], "false_positive", T0)
    [stats] = q.rule_stats(store, T0 + timedelta(hours=1))
    assert (stats.rule_id, stats.flagged, stats.decided, stats.confirmed, stats.false_positive) == (
        "ai_poster.label", 5, 4, 3, 1)
    assert stats.precision == 0.75


def test_listings_stored_before_their_folded_text_was_kept_are_still_found(store):
    audit(store, T0, [(listing(1, "ＡＩ美女 ポスター"), [LABEL]), (listing(2, "ポスター"), [LABEL])])
    store.db.execute("update listings set search_text = null")  # as a database from before this column
    total, page = q.queue_page(store, q.Filters(text="AI美女"), T0)
    assert (total, [c.item_id for c in page]) == (1, ["x1"])
    assert store.db.execute("select count(*) from listings where search_text is null").fetchone()[0] == 0


@pytest.mark.parametrize("console_clock", [timedelta(hours=-5), timedelta(days=3)], ids=["behind", "ahead"])
def test_decided_cases_come_back_exactly_when_their_listing_changed_whatever_the_consoles_clock(store, console_clock):
    user = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    day = timedelta(days=1)
    audit(store, T0, [(listing(1), [LABEL]), (listing(2), [LABEL])])
    dec.decide(store, user, [("demo_auction", "x1"), ("demo_auction", "x2")], "confirmed", T0 + console_clock)
    audit(store, T0 + day, [(listing(1), [LABEL]), (listing(2), [LABEL])])  # nothing changed
    assert {c.key for c in q.queue(store, q.Filters(), T0 + day)} == set()
    evaded = audit(store, T0 + 2 * day, [(listing(1, "ポスター 新作"), []), (listing(2), [LABEL])])  # x1's text moves on
    assert {r["item_id"]: r["state"] for r in store.states_of_run(evaded)} == {"x1": "evaded", "x2": "active"}
    assert {c.key for c in q.queue(store, q.Filters(), T0 + 2 * day)} == {("demo_auction", "x1")}
    audit(store, T0 + 3 * day, [(listing(1, "ポスター 新作"), []), (listing(2), [LABEL])])  # still evaded: still waiting
    assert {c.key for c in q.queue(store, q.Filters(), T0 + 3 * day)} == {("demo_auction", "x1")}
    dec.decide(store, user, [("demo_auction", "x1")], "confirmed", T0 + console_clock)  # judged again, same clock
    audit(store, T0 + 4 * day, [(listing(1, "ポスター 新作"), []), (listing(2), [LABEL])])
    assert {c.key for c in q.queue(store, q.Filters(), T0 + 4 * day)} == set()
    assert [d["judged_run"] for d in store.decisions_for("demo_auction", "x1")] == [1, 4]  # the runs they judged


def test_an_import_reads_spreadsheet_times_and_both_languages_skips_duplicates_and_refuses_a_bad_row(store):
    from zoneinfo import ZoneInfo

    from auditor.review.imports import import_decisions

    user = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    audit(store, T0, [(listing(1), [LABEL]), (listing(2), [LABEL])])
    jst = ZoneInfo("Asia/Tokyo")
    sheet = ("site,item_id,verdict,decided_at,note\r\n"
             "demo_auction,x1,違反を確認,2026/11/25 9:00,spreadsheet\r\n"      # Japanese label, no zone: JST
             "demo_auction,x2,False positive,2026-11-25T10:30+00:00,\r\n")    # English label, its own zone
    now = T0 + timedelta(days=2)  # the import, after the decisions it records
    first = import_decisions(store, sheet, "csv", user, now, jst)
    again = import_decisions(store, sheet, "csv", user, now, jst)
    assert (first.added, first.duplicates, again.added, again.duplicates) == (2, 0, 0, 2)
    rows = {d["item_id"]: d for d in store.all_decisions()}
    assert (rows["x1"]["verdict"], rows["x1"]["decided_at"]) == ("confirmed", "2026-11-25T00:00:00+00:00")
    assert (rows["x2"]["verdict"], rows["x2"]["decided_at"]) == ("false_positive", "2026-11-25T10:30:00+00:00")
    bad = "site,item_id,verdict,decided_at\r\ndemo_auction,x1,confirmed,2026-11-26\r\ndemo_auction,x2,confirmed,next tuesday\r\n"
    with pytest.raises(AuditorError, match=r"^line 3, column decided_at: 'next tuesday' is not a time"):
        import_decisions(store, bad, "csv", user, now, jst)
    with pytest.raises(AuditorError, match=r"^line 2, column verdict: 'ok' is not a verdict \(one of: confirmed / 違反を確認"):
        import_decisions(store, "site,item_id,verdict\r\ndemo_auction,x1,ok\r\n", "csv", user, now, jst)
    assert len(store.all_decisions()) == 2  # the refused files stored nothing, not even their good first rows


def test_an_import_cannot_forge_the_record(store):
    """A name of the file's choosing, a date after the import, a lead's verdict, an escalated case, a file that is
    not CSV: each refuses the whole file, naming the line; what is stored names the account that imported it."""
    from zoneinfo import ZoneInfo

    from auditor.review.imports import import_decisions

    ana = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    lea = add_user(store, "lea", "lead", "a long enough secret", T0)
    audit(store, T0, [(listing(1), [LABEL]), (listing(2), [LABEL])])
    dec.decide(store, lea, [("demo_auction", "x2")], "escalate", T0)
    jst, now = ZoneInfo("Asia/Tokyo"), T0 + timedelta(hours=1)
    head = "site,item_id,verdict,decided_at,user_name\r\n"
    ok = "demo_auction,x1,confirmed,2026-11-25 06:10,lea\r\n"  # 21:10 UTC on the 24th: before the import
    refusals = {
        "demo_auction,x1,confirmed,2099-01-01 00:00,ana\r\n": r"line 3, column decided_at: .* after this import",
        "demo_auction,x1,reopen,,ana\r\n": r"line 3, column verdict: only a lead may reopen",
        "demo_auction,x2,false_positive,,ana\r\n": r"line 3: demo_auction/x2 is escalated to a lead",
        "demo_auction,x1,confirmed,," + "x" * 200_000 + "\r\n": r"line 3: not CSV \(field larger than field limit",
    }
    for row, said in refusals.items():
        with pytest.raises(AuditorError, match=said):
            import_decisions(store, head + ok + row, "csv", ana, now, jst, file_name="sheet.csv")
    assert [d["verdict"] for d in store.all_decisions()] == ["escalate"]  # nothing of any of them, not even line 2
    assert import_decisions(store, head + ok, "csv", ana, now, jst, file_name="sheet.csv").added == 1
    [row] = [d for d in store.all_decisions() if d["source"] == "import"]
    assert (row["user_name"], row["user_id"], row["file_user"], row["import_file"]) == ("ana", ana.id, "lea", "sheet.csv")
    assert import_decisions(store, head + "demo_auction,x2,false_positive,,ana\r\n", "csv", lea, now, jst).added == 1


def test_a_bad_time_stored_by_an_older_import_never_breaks_the_reviewers_page(store):
    user = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    audit(store, T0, [(listing(1), [LABEL])])
    dec.decide(store, user, [("demo_auction", "x1")], "confirmed", T0)
    store.db.execute("update decisions set decided_at = '2026/11/25 9:00'")  # as the import before checks wrote it
    stats = q.reviewer_stats(store, T0 + timedelta(days=1), timezone.utc, days=30000)
    assert any(day.startswith("unreadable time in decision #") for day in stats["ana"])
    assert q.takedown_hours(store, "demo_auction", "x1") is None


def test_a_confirmation_overturned_takes_its_pictures_out_of_the_bank_and_confirming_again_puts_them_back(store):
    user = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    audit(store, T0, [(listing(1), [LABEL])])
    store.create_bank("confirmed", "confirmed pictures", "ana", T0)
    mine, partners = "a" * 64, "b" * 64
    store.add_to_bank("confirmed", [{"pdq": mine, "quality": 100, "source": "decision", "ref": "demo_auction/x1"}], "ana", T0)
    store.add_to_bank("confirmed", [{"pdq": partners, "quality": 100, "source": "import", "ref": "demo_auction/x1"}],
                      "ana", T0)  # a partner's hash of the same picture: our decisions never touch it
    dec.decide(store, user, [("demo_auction", "x1")], "confirmed", T0)
    assert {e["pdq"] for e in store.bank_entries(["confirmed"])} == {mine, partners}
    dec.decide(store, user, [("demo_auction", "x1")], "false_positive", T0 + timedelta(hours=1))
    assert {e["pdq"] for e in store.bank_entries(["confirmed"])} == {partners}  # left out of matching and export
    [withdrawn] = store.withdrawn_entries("confirmed")
    assert withdrawn["pdq"] == mine and withdrawn["withdrawn_why"].endswith(": false_positive")
    assert [(b["entries"], b["withdrawn"]) for b in store.banks()] == [(1, 1)]
    dec.decide(store, user, [("demo_auction", "x1")], "confirmed", T0 + timedelta(hours=2))
    assert {e["pdq"] for e in store.bank_entries(["confirmed"])} == {mine, partners} and not store.withdrawn_entries("confirmed")
    dec.decide(store, user, [("demo_auction", "x1")], "takedown_requested", T0 + timedelta(hours=3), ticket="T-1")
    assert len(store.bank_entries(["confirmed"])) == 2  # a takedown stands by the confirmation


def test_an_imported_bank_entry_is_untouched_by_our_decisions_but_shows_them(store):
    user = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    run = audit(store, T0, [(listing(1), [LABEL]), (listing(2), [LABEL])])
    partners = "c" * 64
    for i, sha in ((1, "1" * 64), (2, "2" * 64)):  # both listings show the partner's picture
        store.record_images(run, "demo_auction", f"x{i}", [{"position": 0, "url": f"http://h/{i}.jpg", "sha256": sha,
                                                           "bytes": 10, "content_type": "image/jpeg", "pdq": partners,
                                                           "quality": 100, "dihedral": [], "meta": {}}], T0)
    store.create_bank("partners", "from a hash exchange", "ana", T0)
    store.add_to_bank("partners", [{"pdq": partners, "quality": 100, "source": "import", "ref": "exchange:42"}], "ana", T0)
    dec.decide(store, user, [("demo_auction", "x1")], "confirmed", T0)
    dec.decide(store, user, [("demo_auction", "x2")], "confirmed", T0)
    dec.decide(store, user, [("demo_auction", "x2")], "false_positive", T0 + timedelta(hours=1))
    assert [e["pdq"] for e in store.bank_entries(["partners"])] == [partners]  # untouched by the overturn
    assert store.imported_entry_verdicts("partners") == {"confirmed": 1, "false_positive": 1}
    dec.decide(store, user, [("demo_auction", "x1")], "seller_followup", T0 + timedelta(hours=2))
    assert store.imported_entry_verdicts("partners") == {"false_positive": 1, "seller_followup": 1}


def test_every_loaded_rule_is_counted_those_without_a_hit_and_shadow_rules_too(store):
    audit(store, T0, [(listing(1), [LABEL])])
    loaded = [("ai_poster.label", "label", "high", False), ("new.rule", "just written", "medium", False),
              ("trial.rule", "on trial", "low", True)]
    stats = {s.rule_id: s for s in q.rule_stats(store, T0 + timedelta(hours=1), loaded=loaded)}
    assert (stats["ai_poster.label"].flagged, stats["ai_poster.label"].severity) == (1, "high")
    assert (stats["new.rule"].flagged, stats["new.rule"].severity, stats["new.rule"].shadow) == (0, "medium", False)
    assert stats["trial.rule"].shadow and stats["trial.rule"].flagged == 0
    gone = q.rule_stats(store, T0 + timedelta(hours=1), loaded=loaded[1:])
    assert [s.loaded for s in gone if s.rule_id == "ai_poster.label"] == [False]  # its hits stay, marked as removed


def test_every_path_that_writes_a_decision_keeps_to_who_may_decide_what(store):
    audit(store, T0, [(listing(i), [LABEL]) for i in range(1, 5)])
    ana = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    ben = add_user(store, "ben", "reviewer", "a long enough secret", T0)
    lea = add_user(store, "lea", "lead", "a long enough secret", T0)
    q.claim(store, ben, "demo_auction", "x1", T0)  # ben is working on x1
    dec.decide(store, ana, [("demo_auction", "x2")], "escalate", T0)
    with pytest.raises(AuditorError, match="ben is working on demo_auction/x1"):
        dec.decide(store, ana, [("demo_auction", "x1")], "no_action", T0)
    with pytest.raises(AuditorError, match="escalated to a lead"):
        dec.decide(store, ana, [("demo_auction", "x2")], "no_action", T0)
    keys = [("demo_auction", f"x{i}") for i in range(1, 5)]
    ids = dec.decide(store, ana, keys, "no_action", T0)  # a bulk decision leaves both out
    assert len(ids) == 2 and {d["item_id"] for d in store.all_decisions() if d["id"] in ids} == {"x3", "x4"}
    assert len(dec.decide(store, lea, keys[:2], "confirmed", T0)) == 2  # a lead may


def test_every_csv_export_makes_formulas_inert_even_after_a_leading_nul(store):
    from auditor.images.exchange import write_file

    audit(store, T0, [(listing(1), [LABEL])])
    ana = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    dec.decide(store, ana, [("demo_auction", "x1")], "no_action", T0, note="\x00=HYPERLINK(\"http://evil\")")
    exported = dec.export_decisions(store, "csv")  # the NUL never reaches the record (PostgreSQL refuses it)
    assert "'=HYPERLINK" in exported and ",=HYPERLINK" not in exported and "\x00" not in exported
    banked = write_file([{"pdq": "a" * 64, "quality": 90, "tags": ["\x00=cmd|' /C calc'!A0"], "source": "import",
                          "ref": " +1"}], "csv")
    assert "'\x00=cmd" in banked and "' +1" in banked


def test_a_reviewer_cannot_change_another_reviewers_decision_until_the_case_needs_one_again(store):
    ana = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    ben = add_user(store, "ben", "reviewer", "a long enough secret", T0)
    lea = add_user(store, "lea", "lead", "a long enough secret", T0)
    audit(store, T0, [(listing(1), [LABEL]), (listing(2), [LABEL])])
    dec.decide(store, ana, [("demo_auction", "x1"), ("demo_auction", "x2")], "confirmed", T0)
    with pytest.raises(AuditorError, match="was decided by ana: only a lead changes"):
        dec.decide(store, ben, [("demo_auction", "x1")], "false_positive", T0)
    assert dec.decide(store, ben, [("demo_auction", "x1"), ("demo_auction", "x2")], "no_action", T0) == []  # bulk: skipped
    dec.decide(store, ana, [("demo_auction", "x1")], "no_action", T0)  # her own, she may
    dec.decide(store, lea, [("demo_auction", "x2")], "false_positive", T0)  # a lead may
    later = T0 + timedelta(days=1)  # x1 escalates: a new, more severe rule; it needs a decision again
    audit(store, later, [(listing(1), [LABEL, PRINT]), (listing(2), [LABEL])])
    dec.decide(store, ben, [("demo_auction", "x1")], "confirmed", later)
    assert [d["user_name"] for d in store.decisions_for("demo_auction", "x1")] == ["ana", "ana", "ben"]
