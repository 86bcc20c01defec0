-- 005-recon-status.sql: keep each recon peer's last successful session
-- apart from its last attempt, so a refused or failed attempt (an SKS
-- peer busy fetching refuses recon) does not hide the last good one;
-- and remember our role in the last attempt (as responder the keys the
-- peer lacked are only a lower bound: the peer solves most nodes
-- itself).  Keep in step with schema.sql.

ALTER TABLE recon_peers ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE recon_peers ADD COLUMN ok_last INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recon_peers ADD COLUMN ok_role TEXT NOT NULL DEFAULT '';
ALTER TABLE recon_peers ADD COLUMN ok_keys_in INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recon_peers ADD COLUMN ok_keys_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recon_peers ADD COLUMN ok_fetched INTEGER NOT NULL DEFAULT 0;

UPDATE recon_peers SET ok_last = last, ok_keys_in = keys_in,
    ok_keys_out = keys_out, ok_fetched = fetched
    WHERE result = 'ok';
