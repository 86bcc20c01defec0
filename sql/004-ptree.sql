-- 004-ptree.sql: SKS recon: the prefix tree of the recon keys' hashes
-- and the status of each recon peer.  Keep in step with schema.sql.

-- One row per tree node.  prefix: one byte holding the bit count, then
-- ceil(bits/8) bytes of the bitstring (the root is the single byte 00).
-- size: elements below the node; samples: its 6 sample values, 17 bytes
-- each (recon wire form); elems: a leaf's elements, 17 bytes each,
-- ascending (NULL for internal nodes).  Written only through ingest and
-- store_ptree.c, in the transaction that writes the key.
CREATE TABLE ptree_nodes (
	prefix BLOB PRIMARY KEY,
	size INTEGER NOT NULL,
	leaf INTEGER NOT NULL,
	samples BLOB NOT NULL,
	elems BLOB
) WITHOUT ROWID;

-- The last recon session with each peer ("host port" as in the
-- membership file): when, how it ended, how many hashes each way.
CREATE TABLE recon_peers (
	peer TEXT PRIMARY KEY,
	last INTEGER NOT NULL,               -- unix time
	result TEXT NOT NULL,                -- "ok" or "failed: reason"
	keys_in INTEGER NOT NULL,            -- hashes we lacked
	keys_out INTEGER NOT NULL,           -- hashes the peer lacked
	fetched INTEGER NOT NULL,            -- keys fetched and merged
	sessions INTEGER NOT NULL            -- sessions so far
) WITHOUT ROWID;

-- A database with keys gets its tree built by the next "pksync serve"
-- or "pksync check --rebuild-ptree" (SQL cannot compute it).
INSERT INTO meta(name, value)
    SELECT 'ptree_rebuild', '1' WHERE EXISTS (SELECT 1 FROM keys);
