"""PostgreSQL: post a checked entry in one server-side call (``ledger_post_entry``).

The function does, in one statement and so in one round trip, what the Python path does in
two: lock the entry's accounts in ascending id order, answer a key already used with the
entry it made, refuse a non-negative account going below zero available, a balance past the
largest allowed and lifetime earned going below zero (returning the figures, writing
nothing), link each posting into its account's hash chain exactly as ``ledger._chain``
does, and write the entry, its postings and the accounts' kept balances. The entry's own
hash is computed by the caller. SQLite has no server and keeps the Python path.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, never imported: a migration never changes. The chain link is
# sha256("previous|entry hash|account|seq|amount|balance after") in hex, as ledger._chain.
_FUNCTION = r"""
CREATE FUNCTION ledger_post_entry(
    p_kind TEXT, p_memo TEXT, p_actor TEXT, p_created_at TIMESTAMPTZ, p_effective_date DATE,
    p_reverses BIGINT, p_key TEXT, p_request_digest TEXT, p_entry_hash TEXT,
    p_accounts BIGINT[], p_amounts BIGINT[], p_releases BIGINT[], p_takes_back BOOLEAN,
    p_max_points BIGINT,
    OUT status TEXT, OUT entry_id BIGINT, OUT account_id BIGINT, OUT figure BIGINT,
    OUT other_figure BIGINT, OUT request_digest TEXT, OUT balances BIGINT[], OUT seqs BIGINT[])
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    n INTEGER := cardinality(p_accounts);
    locked INTEGER;
    moved INTEGER;
    v_allow BOOLEAN[];
    v_posted BIGINT[];
    v_held BIGINT[];
    v_earned BIGINT[];
    v_old_posted BIGINT[];
    v_old_earned BIGINT[];
    v_old_seq BIGINT[];
    v_hash TEXT[];
BEGIN
    -- One statement locks the rows in ascending id order (LockRows sits above the sort, so
    -- writers never deadlock) and reads what the checks and the chain need.
    SELECT count(*), array_agg(r.allow_negative ORDER BY r.id),
           array_agg(r.posted + r.amount ORDER BY r.id),
           array_agg(r.held - r.release ORDER BY r.id),
           array_agg(r.lifetime_earned + CASE
               WHEN p_takes_back THEN LEAST(r.amount, 0) ELSE GREATEST(r.amount, 0) END
               ORDER BY r.id),
           array_agg(r.posted ORDER BY r.id),
           array_agg(r.lifetime_earned ORDER BY r.id),
           array_agg(r.posting_count ORDER BY r.id),
           array_agg(encode(sha256(convert_to(
               r.head_hash || '|' || p_entry_hash || '|' || r.id || '|' ||
               (r.posting_count + 1) || '|' || r.amount || '|' || (r.posted + r.amount),
               'UTF8')), 'hex') ORDER BY r.id)
    INTO locked, v_allow, v_posted, v_held, v_earned, v_old_posted, v_old_earned, v_old_seq,
         v_hash
    FROM (
        SELECT a.id, a.allow_negative, a.posted, a.held, a.lifetime_earned, a.posting_count,
               a.head_hash, l.amount, l.release
        FROM ledger_account AS a
        JOIN unnest(p_accounts, p_amounts, p_releases) AS l (id, amount, release)
            ON a.id = l.id
        ORDER BY a.id FOR UPDATE OF a) AS r;
    IF locked <> n THEN
        status := 'missing';
        RETURN;
    END IF;
    -- A request with this key committed before we got the locks: answer with its entry.
    SELECT e.id, e.request_digest INTO entry_id, request_digest
    FROM ledger_entry AS e WHERE e.idempotency_key = p_key;
    IF entry_id IS NOT NULL THEN
        status := 'replay';
        RETURN;
    END IF;
    -- p_accounts is in ascending order, so index i is the same leg in every array.
    FOR i IN 1 .. n LOOP
        IF NOT v_allow[i] AND v_posted[i] - v_held[i] < 0 THEN
            status := 'insufficient';
            account_id := p_accounts[i];
            figure := v_old_posted[i] - v_held[i];
            other_figure := -p_amounts[i];
            RETURN;
        END IF;
        IF abs(v_posted[i]) > p_max_points THEN
            status := 'too_big';
            account_id := p_accounts[i];
            RETURN;
        END IF;
        IF v_earned[i] < 0 THEN
            status := 'lifetime';
            account_id := p_accounts[i];
            figure := v_old_earned[i];
            other_figure := v_old_earned[i] - v_earned[i];
            RETURN;
        END IF;
    END LOOP;
    INSERT INTO ledger_entry (kind, memo, actor, created_at, effective_date,
        reverses_entry_id, idempotency_key, request_digest, posting_count, entry_hash)
    VALUES (p_kind, p_memo, p_actor, p_created_at, p_effective_date, p_reverses, p_key,
        p_request_digest, n, p_entry_hash)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO entry_id;
    IF entry_id IS NULL THEN
        -- The key was taken meanwhile (on other accounts) by a request that has committed.
        SELECT e.id, e.request_digest INTO entry_id, request_digest
        FROM ledger_entry AS e WHERE e.idempotency_key = p_key;
        status := CASE WHEN entry_id IS NULL THEN 'race' ELSE 'replay' END;
        RETURN;
    END IF;
    INSERT INTO ledger_posting
        (entry_id, account_id, amount, balance_after, account_seq, chain_hash)
    SELECT entry_id, p.* FROM unnest(
        p_accounts, p_amounts, v_posted,
        ARRAY(SELECT s + 1 FROM unnest(v_old_seq) AS s), v_hash) AS p;
    UPDATE ledger_account AS a
    SET posted = c.posted, held = c.held, lifetime_earned = c.earned,
        posting_count = c.seq + 1, head_hash = c.head
    FROM unnest(p_accounts, v_posted, v_held, v_earned, v_old_seq, v_hash)
        AS c (id, posted, held, earned, seq, head)
    WHERE a.id = c.id AND a.posting_count = c.seq;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved <> n THEN  -- unreachable while the rows are locked; the backstop
        RAISE EXCEPTION 'an account changed while it was locked; the entry was not posted';
    END IF;
    status := 'posted';
    balances := v_posted;
    seqs := ARRAY(SELECT s + 1 FROM unnest(v_old_seq) AS s);
END
$fn$
"""

_SIGNATURE = (
    "ledger_post_entry(TEXT, TEXT, TEXT, TIMESTAMPTZ, DATE, BIGINT, TEXT, TEXT, TEXT,"
    " BIGINT[], BIGINT[], BIGINT[], BOOLEAN, BIGINT)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {_SIGNATURE}")
