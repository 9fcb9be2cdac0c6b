"""The shop every example caches: schema, deterministic generated data, and the
application's queries.

`load(db, scale)` creates users, products, orders and order_items (with the
indexes a real application would have) from a seeded random.Random, so every
run holds the same rows: at scale 1.0, 5,000 users, 2,000 products in 12
categories, 40,000 orders and about 100,000 order lines. Order dates spread
over the last 365 days; a few hundred regular users place 30% of the
orders and about a hundred best sellers fill 40% of the order lines, as in
real shops. EXAMPLES_SCALE shrinks it (the
tests use 0.2).

The queries below are the "slow" calls the examples cache. None of them
sleeps: their cost is the database's own work. `user_profile` joins a user to
their orders and order lines and aggregates them; `product_detail` sums one
product's order lines; `category_listing` aggregates the order lines of a
whole category; `top_products` ranks a category's products by revenue over a
date range (a scan of tens of thousands of order lines: the slowest).
Money is integer cents and times are epoch seconds, so rows are plain JSON.
"""

import io
import os
import random

CATEGORIES = ["books", "music", "garden", "kitchen", "toys", "games", "sports", "tools",
              "office", "outdoor", "beauty", "pets"]
CITIES = ["Lisbon", "Oslo", "Kyoto", "Lagos", "Quito", "Perth", "Tallinn", "Austin", "Pune",
          "Leeds", "Lyon", "Busan"]
FIRST = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Edsger", "Frances", "Donald",
         "Margaret", "Dennis", "Radia", "John", "Hedy", "Tim", "Sophie", "Niklaus", "Anita"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson", "Dijkstra", "Allen",
        "Knuth", "Hamilton", "Ritchie", "Perlman", "Backus", "Lamarr", "Berners-Lee", "Wilson"]
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z, fixed so every run has the same data
DAY = 86_400

SCHEMA = [
    """CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
        city TEXT NOT NULL, created_at BIGINT NOT NULL, bio TEXT NOT NULL)""",
    """CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
        price_cents INTEGER NOT NULL, stock INTEGER NOT NULL, description TEXT NOT NULL,
        updated_at BIGINT NOT NULL)""",
    """CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
        created_at BIGINT NOT NULL, status TEXT NOT NULL)""",
    """CREATE TABLE order_items (order_id INTEGER NOT NULL REFERENCES orders(id),
        product_id INTEGER NOT NULL REFERENCES products(id), quantity INTEGER NOT NULL,
        price_cents INTEGER NOT NULL)""",
    # write-back bookkeeping: one row per change already applied (idempotency)
    "CREATE TABLE applied_changes (change_id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    "CREATE INDEX orders_user ON orders (user_id)",
    "CREATE INDEX orders_created ON orders (created_at)",
    "CREATE INDEX order_items_order ON order_items (order_id)",
    "CREATE INDEX order_items_product ON order_items (product_id)",
    "CREATE INDEX products_category ON products (category)",
]


def sizes(scale=None):
    if scale is None:
        scale = float(os.environ.get("EXAMPLES_SCALE", "1"))
    return {"users": max(200, int(5000 * scale)), "products": max(60, int(2000 * scale)),
            "orders": max(1000, int(40000 * scale))}


def generate(scale=None, seed=2026):
    """(users, products, orders, order_items) as lists of tuples."""
    n = sizes(scale)
    rnd = random.Random(seed)
    users = []
    for i in range(1, n["users"] + 1):
        name = "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST))
        email = "%s.%d@example.com" % (name.lower().replace(" ", "."), i)
        bio = " ".join(rnd.choice(LAST + CITIES) for _ in range(12))
        users.append((i, name, email, rnd.choice(CITIES), NOW - rnd.randrange(3 * 365) * DAY,
                      bio))
    products = []
    for i in range(1, n["products"] + 1):
        cat = CATEGORIES[i % len(CATEGORIES)]
        products.append((i, "%s %s #%d" % (cat.capitalize(), rnd.choice(LAST), i), cat,
                         rnd.randrange(199, 19999), rnd.randrange(0, 500),
                         " ".join(rnd.choice(FIRST + CATEGORIES) for _ in range(20)), NOW))
    orders, items = [], []
    for i in range(1, n["orders"] + 1):
        if rnd.random() < 0.3:  # regulars: the first few hundred users
            user = min(n["users"], 1 + int(rnd.expovariate(1 / 100)))
        else:
            user = rnd.randrange(1, n["users"] + 1)
        orders.append((i, user, NOW - rnd.randrange(365 * DAY),
                       rnd.choice(["paid", "paid", "paid", "shipped", "refunded"])))
        for _ in range(rnd.choice([1, 1, 2, 2, 3, 4, 5])):
            if rnd.random() < 0.4:  # best sellers: the first hundred or so products
                pid = min(n["products"], 1 + int(rnd.expovariate(1 / 50)))
            else:
                pid = rnd.randrange(1, n["products"] + 1)
            items.append((i, pid, rnd.choice([1, 1, 1, 2, 3]), products[pid - 1][3]))
    return users, products, orders, items


def load(db, scale=None):
    """Creates the schema and loads the generated rows (once per database)."""
    conn = db.connect()
    try:
        if conn.one("SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'"
                    if db.kind == "postgresql" else
                    "SELECT count(*) FROM sqlite_master WHERE name = 'users'")[0]:
            return
        users, products, orders, items = generate(scale)
        if db.kind == "postgresql":
            cur = conn.raw.cursor()
            for stmt in SCHEMA[:5]:
                cur.execute(stmt)
            for table, rows in (("users", users), ("products", products), ("orders", orders),
                                ("order_items", items)):
                buf = io.StringIO("".join("\t".join(str(v) for v in r) + "\n" for r in rows))
                cur.copy_from(buf, table)
            for stmt in SCHEMA[5:]:
                cur.execute(stmt)
            cur.execute("ANALYZE")
            cur.close()
        else:
            raw = conn.raw
            raw.execute("BEGIN")
            for stmt in SCHEMA[:5]:
                raw.execute(stmt)
            for table, rows in (("users", users), ("products", products), ("orders", orders),
                                ("order_items", items)):
                raw.executemany("INSERT INTO %s VALUES (%s)"
                                % (table, ",".join("?" * len(rows[0]))), rows)
            for stmt in SCHEMA[5:]:
                raw.execute(stmt)
            raw.execute("COMMIT")
            raw.execute("ANALYZE")
    finally:
        conn.close()


def counts(conn):
    return {t: conn.one("SELECT count(*) FROM %s" % t)[0]
            for t in ("users", "products", "orders", "order_items")}


# ---------------------------------------------------------------------------
# the application's queries
# ---------------------------------------------------------------------------

def user_profile(conn, user_id):
    """A user with their order history summarised (join + aggregate), or None."""
    row = conn.one(
        "SELECT u.id, u.name, u.email, u.city, u.created_at,"
        " count(DISTINCT o.id), coalesce(sum(oi.quantity * oi.price_cents), 0),"
        " coalesce(max(o.created_at), 0)"
        " FROM users u LEFT JOIN orders o ON o.user_id = u.id"
        " LEFT JOIN order_items oi ON oi.order_id = o.id"
        " WHERE u.id = %s GROUP BY u.id, u.name, u.email, u.city, u.created_at", (user_id,))
    if row is None:
        return None
    return {"id": row[0], "name": row[1], "email": row[2], "city": row[3],
            "member_since": row[4], "orders": row[5], "spent_cents": int(row[6]),
            "last_order_at": row[7]}


def update_user(conn, user_id, **fields):
    cols = sorted(fields)
    sets = ", ".join("%s = %%s" % c for c in cols)
    return conn.execute("UPDATE users SET %s WHERE id = %%s" % sets,
                        [fields[c] for c in cols] + [user_id])


def product_detail(conn, product_id):
    """A product with its sales (units and revenue over all its order lines)."""
    row = conn.one(
        "SELECT p.id, p.name, p.category, p.price_cents, p.stock, p.description,"
        " coalesce(sum(oi.quantity), 0), count(oi.order_id)"
        " FROM products p LEFT JOIN order_items oi ON oi.product_id = p.id"
        " WHERE p.id = %s GROUP BY p.id, p.name, p.category, p.price_cents, p.stock,"
        " p.description", (product_id,))
    if row is None:
        return None
    return {"id": row[0], "name": row[1], "category": row[2], "price_cents": row[3],
            "stock": row[4], "description": row[5], "units_sold": int(row[6]),
            "order_lines": row[7]}


def category_listing(conn, category, limit=20):
    """A category's best sellers: every order line of the category aggregated."""
    rows = conn.query(
        "SELECT p.id, p.name, p.price_cents, coalesce(sum(oi.quantity), 0) AS units"
        " FROM products p LEFT JOIN order_items oi ON oi.product_id = p.id"
        " WHERE p.category = %s GROUP BY p.id, p.name, p.price_cents"
        " ORDER BY units DESC, p.id LIMIT %s", (category, limit))
    return [{"id": r[0], "name": r[1], "price_cents": r[2], "units_sold": int(r[3])}
            for r in rows]


def top_products(conn, category, days, limit=10):
    """Revenue ranking of a category over the last `days` days, paid orders only:
    orders by date, their lines, their products (the heaviest query here)."""
    rows = conn.query(
        "SELECT p.id, p.name, sum(oi.quantity * oi.price_cents) AS revenue,"
        " count(DISTINCT o.user_id) AS buyers"
        " FROM orders o JOIN order_items oi ON oi.order_id = o.id"
        " JOIN products p ON p.id = oi.product_id"
        " WHERE o.created_at >= %s AND o.status <> 'refunded' AND p.category = %s"
        " GROUP BY p.id, p.name ORDER BY revenue DESC, p.id LIMIT %s",
        (NOW - days * DAY, category, limit))
    return [{"id": r[0], "name": r[1], "revenue_cents": int(r[2]), "buyers": r[3]}
            for r in rows]


def top_spenders(conn, limit=10):
    rows = conn.query(
        "SELECT o.user_id, sum(oi.quantity * oi.price_cents) AS spent"
        " FROM orders o JOIN order_items oi ON oi.order_id = o.id"
        " WHERE o.status <> 'refunded' GROUP BY o.user_id ORDER BY spent DESC, o.user_id"
        " LIMIT %s", (limit,))
    return [(r[0], int(r[1])) for r in rows]
