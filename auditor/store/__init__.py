"""Everything SQL, behind one interface: the Store (SQLite through sqlite-utils, or PostgreSQL).

May import the shared vocabulary only.
"""

from auditor.store.core import DATABASE_ERRORS, DatabaseClock, Recorded, Store, listing_from_row, version_of

__all__ = ["DATABASE_ERRORS", "DatabaseClock", "Recorded", "Store", "listing_from_row", "version_of"]
