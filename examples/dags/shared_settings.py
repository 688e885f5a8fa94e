"""Settings shared by several files of this folder, imported as a plain module (the folder is on sys.path).
It defines no workflow, and safe mode skips it because it does not name the scheduler or its graphs."""
from datetime import datetime, timezone

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
