"""The PostgreSQL store's schema, the project's own and versioned: each step of ``MIGRATIONS`` takes a database
one version on, and ``SCHEMA_VERSION`` is the last (a database past it is refused by the program)."""

from __future__ import annotations

SCHEMA_VERSION = 8
KEYS_PRIMARY = "PRIMARY KEY (idx, key, id) INCLUDE (sort)"
# The documents under some keys (an agent's lookup), planned once per connection: planning the join each time
# took longer than running it (0.5 ms of a lookup's 1.3). A generic plan is right for it, never for a prefix.
DOCUMENTS_UNDER = """
    CREATE FUNCTION documents_under(indexes {index}[], keys text[], tables text[])
    RETURNS TABLE (found_index {index}, found_key text, found_id bigint, found json)
    LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
    BEGIN
        RETURN QUERY SELECT w.idx, w.key, d.id, d.doc FROM unnest(indexes, keys, tables) AS w(idx, key, tbl)
            JOIN index_keys k ON k.idx = w.idx AND k.key = w.key JOIN documents d ON d.tbl = w.tbl AND d.id = k.id
            ORDER BY d.id;
    END $$
"""
# Each step is statements run in order, given the names of every index (``indexes``), of the one holding the sort
# key of its documents' table (``sort_indexes``; null for tables never listed in name order), and of the indexes
# whose keys' documents are counted (``counted``).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("""
        CREATE TABLE contacts_schema (version integer NOT NULL);
        CREATE TABLE documents (tbl text NOT NULL, id bigint NOT NULL, doc json NOT NULL, PRIMARY KEY (tbl, id));
        CREATE TABLE index_keys (idx text NOT NULL, key text COLLATE "C" NOT NULL, tbl text NOT NULL,
                                 id bigint NOT NULL, PRIMARY KEY (idx, key, id));
        CREATE INDEX index_keys_of_document ON index_keys (tbl, id);
        CREATE TABLE id_counters (tbl text PRIMARY KEY, last bigint NOT NULL);
        CREATE TABLE revision (value bigint NOT NULL);
        INSERT INTO revision VALUES (0);
    """,),
    # Conditions check a document's keys by its id (index probes while a listing walks its order); this index
    # serves that and removing a document's keys, which the first one served alone. An index's name says its
    # table, so a key's row need not. Counting a table's rows reads them all: each table's count is kept instead.
    2: ("""
        CREATE INDEX index_keys_by_id ON index_keys (id, idx, key);
        DROP INDEX index_keys_of_document;
        ALTER TABLE index_keys DROP COLUMN tbl;
        CREATE TABLE document_counts (tbl text PRIMARY KEY, n bigint NOT NULL);
        INSERT INTO document_counts SELECT tbl, count(*) FROM documents GROUP BY tbl;
    """,),
    # Every key carries its document's sort key, in the index with it: the matches of a word come out in name
    # order from that index alone (through the order index, ninety thousand "smith"s took a second to sort).
    3: ('ALTER TABLE index_keys ADD COLUMN sort text COLLATE "C"',
        "UPDATE index_keys k SET sort = o.key FROM unnest(%(indexes)s::text[], %(sort_indexes)s::text[]) "
        "AS m(idx, sort_idx), index_keys o WHERE k.idx = m.idx AND o.idx = m.sort_idx AND o.id = k.id",
        f"ALTER TABLE index_keys DROP CONSTRAINT index_keys_pkey, ADD {KEYS_PRIMARY}"),
    # The lookup's one statement (``DOCUMENTS_UNDER``).
    4: (DOCUMENTS_UNDER.format(index="text"),),
    # An index is named in every key row by a small number (``key_indexes``), not its name: a million contacts'
    # 24 million key rows took a gigabyte less.
    5: ("CREATE TABLE key_indexes (code smallint PRIMARY KEY, name text NOT NULL UNIQUE)",
        "INSERT INTO key_indexes SELECT row_number() OVER (ORDER BY name), name "
        "FROM (SELECT unnest(%(indexes)s::text[]) UNION SELECT DISTINCT idx FROM index_keys) n(name)",
        """
        CREATE TABLE index_keys_coded (idx smallint NOT NULL, key text COLLATE "C" NOT NULL, id bigint NOT NULL,
                                       sort text COLLATE "C");
        INSERT INTO index_keys_coded SELECT c.code, k.key, k.id, k.sort FROM index_keys k JOIN key_indexes c
            ON c.name = k.idx;
        DROP TABLE index_keys;
        ALTER TABLE index_keys_coded RENAME TO index_keys;
        CREATE INDEX index_keys_by_id ON index_keys (id, idx, key);
        DROP FUNCTION documents_under;
        """,
        DOCUMENTS_UNDER.format(index="smallint"),
        f"ALTER TABLE index_keys ADD {KEYS_PRIMARY}"),
    # The lookup looks at the keys it is given in turn, stopping at the first that find documents: a number found
    # by its stored form needs no look at its digits (41 million of ten million contacts' 236 million key rows,
    # read at random, from disk when the database outgrows memory).
    6: ("DROP FUNCTION documents_under", """
        CREATE FUNCTION documents_first(indexes smallint[], keys text[], tables text[], choices smallint[],
                                        counted smallint)
        RETURNS TABLE (found_index smallint, found_key text, found_id bigint, found json)
        LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
        BEGIN
            FOR tried IN 0 .. counted - 1 LOOP
                RETURN QUERY SELECT w.idx, w.key, d.id, d.doc
                    FROM unnest(indexes, keys, tables, choices) AS w(idx, key, tbl, choice)
                    JOIN index_keys k ON k.idx = w.idx AND k.key = w.key JOIN documents d ON d.tbl = w.tbl AND d.id = k.id
                    WHERE w.choice = tried ORDER BY d.id;
                IF FOUND THEN
                    RETURN;
                END IF;
            END LOOP;
        END $$
        """),
    # The people relationships name, an index of their own (the terminal UI suggests them): its rows are made from
    # the documents (``FILLED``). Programs before it would not keep them, so they refuse this schema.
    7: (),
    # How many documents each key of a counted index has (a division's size: what an agent limited to divisions
    # is shown as the count of the records they may see), kept with every change: counting ten million rows of a
    # division took seconds.
    8: ('CREATE TABLE key_counts (idx smallint NOT NULL, key text COLLATE "C" NOT NULL, n bigint NOT NULL, '
        "PRIMARY KEY (idx, key))",
        "INSERT INTO key_counts SELECT k.idx, k.key, count(*) FROM index_keys k JOIN key_indexes c ON c.code = k.idx "
        "WHERE c.name = ANY(%(counted)s::text[]) GROUP BY k.idx, k.key"),
}
# Indexes added at a step, their rows made from the documents by the indexes' own functions once the database is
# there (an index's keys are Python's to compute, not SQL's).
FILLED: dict[int, tuple[str, ...]] = {7: ("relationship.user",)}
