#!/usr/bin/env python3
"""Seeds N messages between two existing users straight into Kanect's SQLite
database (for the page-load benchmark): seed.py DB_PATH SENDER RECIPIENT N."""
import sqlite3
import sys
import time

db_path, a_name, b_name, n = sys.argv[1], sys.argv[2].lower(), sys.argv[3].lower(), int(sys.argv[4])
db = sqlite3.connect(db_path, timeout=30)
a = db.execute("SELECT id FROM users WHERE username_key = ?", (a_name,)).fetchone()[0]
b = db.execute("SELECT id FROM users WHERE username_key = ?", (b_name,)).fetchone()[0]
lo, hi = min(a, b), max(a, b)
now = int(time.time() * 1000)
batch = 50_000
for start in range(0, n, batch):
    rows = [
        (a if i % 2 == 0 else b, b if i % 2 == 0 else a, lo, hi,
         f"Seeded message number {i}, long enough to look like a real line of chat.",
         f"seed-{a}-{b}-{i}", now - (n - i) * 1000)
        for i in range(start, min(n, start + batch))
    ]
    db.executemany(
        "INSERT INTO messages (sender_id, recipient_id, pair_lo, pair_hi, body, client_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
last = db.execute("SELECT MAX(id) FROM messages WHERE pair_lo = ? AND pair_hi = ?", (lo, hi)).fetchone()[0]
for user, peer in ((a, b), (b, a)):
    db.execute(
        "INSERT INTO conversations (user_id, peer_id, last_message_id, last_read_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id, peer_id) DO UPDATE SET last_message_id = excluded.last_message_id,"
        " last_read_id = excluded.last_read_id", (user, peer, last, last))
db.commit()
