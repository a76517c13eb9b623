"""A psycopg2 session against the pglite-java server: queries, parameters, COPY, errors, a named cursor.

Usage: python3 psycopg2_session.py DSN
Prints one line per check and "ALL OK" at the end; exits non-zero on the first failure.
"""
import io
import sys

import psycopg2
import psycopg2.extras

dsn = sys.argv[1]
conn = psycopg2.connect(dsn)
cur = conn.cursor()


def check(label, actual, expected):
    if actual != expected:
        print("FAIL %s: expected %r, got %r" % (label, expected, actual))
        sys.exit(1)
    print("ok %s" % label)


cur.execute("SELECT version()")
check("version", cur.fetchone()[0].startswith("PostgreSQL 18"), True)

cur.execute("CREATE TABLE py_items (id int PRIMARY KEY, name text, price numeric(10,2))")
cur.executemany("INSERT INTO py_items VALUES (%s, %s, %s)",
                [(i, "item %d" % i, i * 1.5) for i in range(1, 101)])
conn.commit()
cur.execute("SELECT count(*), sum(price) FROM py_items WHERE name LIKE %s", ("item%",))
count, total = cur.fetchone()
check("executemany", (count, str(total)), (100, "7575.00"))

# COPY FROM STDIN and TO STDOUT
data = io.StringIO("".join("%d\tcopied %d\t%d.25\n" % (i, i, i) for i in range(101, 1101)))
cur.copy_expert("COPY py_items FROM STDIN", data)
conn.commit()
cur.execute("SELECT count(*) FROM py_items")
check("copy from stdin", cur.fetchone()[0], 1100)
out = io.StringIO()
cur.copy_expert("COPY (SELECT id, name FROM py_items WHERE id > 1095 ORDER BY id) TO STDOUT WITH (FORMAT csv)", out)
check("copy to stdout", out.getvalue(),
      "1096,copied 1096\n1097,copied 1097\n1098,copied 1098\n1099,copied 1099\n1100,copied 1100\n")

# An error, then recovery
try:
    cur.execute("SELECT 1/0")
    print("FAIL division by zero did not fail")
    sys.exit(1)
except psycopg2.Error as e:
    check("error sqlstate", e.pgcode, "22012")
    conn.rollback()
cur.execute("SELECT 'recovered'")
check("recovery", cur.fetchone()[0], "recovered")

# A named (server-side) cursor: DECLARE ... FETCH inside a transaction
named = conn.cursor(name="big_scan")
named.itersize = 100
named.execute("SELECT id FROM py_items ORDER BY id")
ids = [row[0] for row in named]
named.close()
conn.commit()
check("named cursor", (len(ids), ids[0], ids[-1]), (1100, 1, 1100))

# Dict rows and a second connection at the same time
conn2 = psycopg2.connect(dsn)
c2 = conn2.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
c2.execute("SELECT name FROM py_items WHERE id = %(id)s", {"id": 42})
check("second connection", c2.fetchone()["name"], "item 42")
conn2.close()

cur.execute("DROP TABLE py_items")
conn.commit()
conn.close()
print("ALL OK")
