#!/usr/bin/env python3
"""How tests/fixtures/db/schema-v2.db to -v5.db were made (once each; they are frozen).

Each starts from schema-v1.db, applies the released migrations up to its version exactly as
the binary of that version did (the SQL is read from src/store.rs, where released migrations
are never edited), and adds the history a learner of that version would have: more reviews,
a stale catalog index (v2), lab progress, check runs and a setup resource (v3), a
self-assessment with per-topic scores and confidence (v4).
Run from the repository root: python3 scripts/make-db-fixtures.py [VERSION...]
"""
import re
import shutil
import sqlite3

DAY = 86_400_000
T0 = 1795334400000  # 2026-11-22T04:00Z, the v1 fixture's first review

migrations = re.findall(r'r#"(.*?)"#', open("src/store.rs").read().split("const MIGRATIONS")[1].split("];")[0], re.S)


def make(version):
    out = f"tests/fixtures/db/schema-v{version}.db"
    shutil.copy("tests/fixtures/db/schema-v1.db", out)
    db = sqlite3.connect(out)
    # The history below is written as the v4 schema had it; later migrations then run over it,
    # as they do over a learner's file.
    for sql in migrations[1:min(version, 4)]:
        db.executescript(sql)
    # Day 3: a second session, one card right and one lapse.
    db.execute("INSERT INTO session VALUES (2, ?, ?, 'review', '', 2, 1, 'done')", (T0 + 2 * DAY, T0 + 2 * DAY + 60_000))
    db.execute(
        "INSERT INTO review_log VALUES (3, 'fx-choice', 2, ?, 3, 'a', 1, 4000, 'review', 'review', 2.3065, 2.1181, ?, 'review', 10.9, 2.1, ?, 2, 11, '')",
        (T0 + 2 * DAY, T0 + 2 * DAY, T0 + 13 * DAY),
    )
    db.execute(
        "INSERT INTO review_log VALUES (4, 'fx-typed', 2, ?, 1, 'wrong', 0, 9000, 'review', 'review', 2.3065, 2.1181, ?, 'relearn', 0.6, 4.9, ?, 2, 0, 'crash-loop-auto-rollback')",
        (T0 + 2 * DAY + 5000, T0 + 2 * DAY, T0 + 2 * DAY + 600_000),
    )
    db.execute("UPDATE card_state SET stability = 10.9, difficulty = 2.1, due_ms = ?, last_review_ms = ?, reps = 3, scheduled_days = 11 WHERE card_id = 'fx-choice'", (T0 + 13 * DAY, T0 + 2 * DAY))
    db.execute("UPDATE card_state SET phase = 'relearn', stability = 0.6, difficulty = 4.9, due_ms = ?, last_review_ms = ?, reps = 3, lapses = 1, scheduled_days = 0 WHERE card_id = 'fx-typed'", (T0 + 2 * DAY + 600_000, T0 + 2 * DAY + 5000))
    # A catalog index from decks that have changed since: it must be rebuilt, not trusted.
    db.execute("INSERT INTO catalog_card VALUES ('fx-gone', 'fixture', 'cluster', 0, 0, '{}')")
    db.execute("INSERT INTO setting VALUES ('catalog_key', 'built-by-an-older-ecsdrill')")
    if version >= 3:
        db.execute("INSERT INTO lab_progress VALUES ('ecr-push', 'local', ?, 1, ?)", (T0 + DAY, T0 + DAY + 900_000))
        db.execute("INSERT INTO lab_progress VALUES ('task-definition', 'aws:111122223333:eu-west-1', ?, 0, NULL)", (T0 + 2 * DAY,))
        db.execute("INSERT INTO lab_check_log VALUES (1, 'ecr-push', 'local', ?, 0, 3, 5, '[]')", (T0 + DAY + 600_000,))
        db.execute("INSERT INTO lab_check_log VALUES (2, 'ecr-push', 'local', ?, 1, 5, 5, '[]')", (T0 + DAY + 900_000,))
        db.execute("INSERT INTO lab_resource VALUES (1, 'task-definition', 'aws:111122223333:eu-west-1', 'log-group', '/ecs/web', ?)", (T0 + 2 * DAY,))
        db.execute("""INSERT INTO setting VALUES ('lab_target', '{"kind":"local"}')""")
    if version >= 4:
        db.execute("INSERT INTO session VALUES (3, ?, ?, 'assess', '', 2, 1, 'done')", (T0 + 3 * DAY, T0 + 3 * DAY + 120_000))
        db.execute("INSERT INTO assessment VALUES (1, ?, 2.5, 'exposure')", (T0 + 3 * DAY + 120_000,))
        db.execute("INSERT INTO assessment_topic VALUES (1, 'cluster', 2.5, 4, 2, 1)")
    for sql in migrations[4:version]:
        db.executescript(sql)
    if version >= 5:
        # Day 4: a typed answer graded wrong that the learner overrode to Good.
        db.execute("INSERT INTO session VALUES (4, ?, ?, 'review', '', 1, 1, 'done')", (T0 + 4 * DAY, T0 + 4 * DAY + 30_000))
        db.execute(
            "INSERT INTO review_log VALUES (5, 'fx-typed', 4, ?, 3, 'thre', 0, 7000, 'review', 'relearn', 0.6, 4.9, ?, 'review', 3.1, 4.7, ?, 4, 3, '', 1)",
            (T0 + 4 * DAY, T0 + 2 * DAY + 600_000, T0 + 7 * DAY),
        )
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.execute("VACUUM")
    db.close()


import sys

for v in map(int, sys.argv[1:]) if len(sys.argv) > 1 else (2, 3, 4, 5):
    make(v)
    print(f"wrote tests/fixtures/db/schema-v{v}.db")
