//! The schema and the connection: the append-only migrations, opening a
//! database file (with a hint when its folder is missing, read-only or full)
//! and the pragmas every connection runs under.

use std::path::Path;

use rusqlite::Connection;

use super::pg::PgConn;
use super::sql::{Conn, Engine, params};
use super::{Result, Store, StoreError};

/// Schema migrations, applied in order; `user_version` counts those applied.
/// Append only: never edit or remove an entry, never drop a column.
const MIGRATIONS: &[&str] = &[
    // 1: the design's tables.
    r#"
    CREATE TABLE sources (
        id            INTEGER PRIMARY KEY,
        kind          TEXT NOT NULL CHECK (kind IN ('article', 'feed')),
        url           TEXT NOT NULL UNIQUE,
        schedule      TEXT NOT NULL,
        rules         TEXT NOT NULL DEFAULT '{}',
        enabled       INTEGER NOT NULL DEFAULT 1,
        from_config   INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        next_check    INTEGER,
        last_checked  INTEGER,
        last_error    TEXT,
        failures      INTEGER NOT NULL DEFAULT 0,
        etag          TEXT,
        last_modified TEXT
    );
    CREATE TABLE articles (
        id            INTEGER PRIMARY KEY,
        source_id     INTEGER NOT NULL REFERENCES sources(id),
        url           TEXT NOT NULL UNIQUE,
        canonical_url TEXT,
        first_seen    INTEGER NOT NULL,
        last_checked  INTEGER,
        last_changed  INTEGER,
        next_check    INTEGER,
        etag          TEXT,
        last_modified TEXT,
        failures      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        state         TEXT NOT NULL DEFAULT 'active'
    );
    CREATE INDEX articles_due ON articles (next_check);
    CREATE TABLE versions (
        id            INTEGER PRIMARY KEY,
        article_id    INTEGER NOT NULL REFERENCES articles(id),
        number        INTEGER NOT NULL,
        fetched_at    INTEGER NOT NULL,
        content_hash  TEXT NOT NULL,
        title         TEXT,
        byline        TEXT,
        published     TEXT,
        modified      TEXT,
        lang          TEXT,
        canonical_url TEXT,
        paragraphs    TEXT NOT NULL,
        raw_html_zstd BLOB,
        UNIQUE (article_id, number)
    );
    CREATE TABLE changes (
        id            INTEGER PRIMARY KEY,
        article_id    INTEGER NOT NULL REFERENCES articles(id),
        from_version  INTEGER NOT NULL REFERENCES versions(id),
        to_version    INTEGER NOT NULL UNIQUE REFERENCES versions(id),
        created_at    INTEGER NOT NULL,
        kinds         TEXT NOT NULL,
        significance  REAL NOT NULL,
        summary       TEXT NOT NULL,
        diff          TEXT NOT NULL
    );
    CREATE INDEX changes_article ON changes (article_id);
    CREATE TABLE deliveries (
        id            INTEGER PRIMARY KEY,
        change_id     INTEGER NOT NULL REFERENCES changes(id),
        channel       TEXT NOT NULL,
        event_id      TEXT NOT NULL UNIQUE,
        payload       TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_attempt  INTEGER NOT NULL,
        last_error    TEXT,
        created_at    INTEGER NOT NULL,
        delivered_at  INTEGER,
        UNIQUE (change_id, channel)
    );
    CREATE INDEX deliveries_due ON deliveries (status, next_attempt);
    CREATE TABLE fetch_log (
        id            INTEGER PRIMARY KEY,
        at            INTEGER NOT NULL,
        url           TEXT NOT NULL,
        source_id     INTEGER,
        article_id    INTEGER,
        status        INTEGER,
        bytes         INTEGER,
        duration_ms   INTEGER,
        outcome       TEXT NOT NULL,
        error         TEXT
    );
    CREATE INDEX fetch_log_at ON fetch_log (at);
    "#,
    // 2: the web's reads: full-text search over versions (FTS5, external content,
    // kept in step by triggers), indexes for browsing, and removed watches kept
    // for their history.
    r#"
    CREATE VIRTUAL TABLE versions_fts USING fts5(
        title, paragraphs, content = 'versions', content_rowid = 'id'
    );
    INSERT INTO versions_fts (versions_fts) VALUES ('rebuild');
    CREATE TRIGGER versions_fts_insert AFTER INSERT ON versions BEGIN
        INSERT INTO versions_fts (rowid, title, paragraphs) VALUES (new.id, new.title, new.paragraphs);
    END;
    CREATE TRIGGER versions_fts_delete AFTER DELETE ON versions BEGIN
        INSERT INTO versions_fts (versions_fts, rowid, title, paragraphs)
        VALUES ('delete', old.id, old.title, old.paragraphs);
    END;
    CREATE TRIGGER versions_fts_update AFTER UPDATE OF title, paragraphs ON versions BEGIN
        INSERT INTO versions_fts (versions_fts, rowid, title, paragraphs)
        VALUES ('delete', old.id, old.title, old.paragraphs);
        INSERT INTO versions_fts (rowid, title, paragraphs) VALUES (new.id, new.title, new.paragraphs);
    END;
    CREATE INDEX changes_created ON changes (created_at);
    CREATE INDEX changes_browse ON changes (id, created_at, article_id, kinds);
    CREATE INDEX changes_article_time ON changes (article_id, created_at);
    -- One small partial index per edit kind: a filter by kind reads only its own changes.
    CREATE INDEX changes_kind_headline ON changes (id) WHERE kinds LIKE '%"headline"%';
    CREATE INDEX changes_kind_byline ON changes (id) WHERE kinds LIKE '%"byline"%';
    CREATE INDEX changes_kind_dates ON changes (id) WHERE kinds LIKE '%"dates"%';
    CREATE INDEX changes_kind_editors_note ON changes (id) WHERE kinds LIKE '%"editors_note"%';
    CREATE INDEX changes_kind_correction ON changes (id) WHERE kinds LIKE '%"correction"%';
    CREATE INDEX changes_kind_addition ON changes (id) WHERE kinds LIKE '%"addition"%';
    CREATE INDEX changes_kind_removal ON changes (id) WHERE kinds LIKE '%"removal"%';
    CREATE INDEX changes_kind_rewording ON changes (id) WHERE kinds LIKE '%"rewording"%';
    CREATE INDEX changes_kind_fact ON changes (id) WHERE kinds LIKE '%"fact"%';
    CREATE INDEX changes_kind_typo ON changes (id) WHERE kinds LIKE '%"typo"%';
    CREATE INDEX changes_kind_unannounced ON changes (id) WHERE kinds LIKE '%"unannounced"%';
    CREATE INDEX articles_source ON articles (source_id);
    CREATE INDEX articles_recent ON articles (COALESCE(last_changed, first_seen) DESC, id DESC);
    CREATE INDEX deliveries_change ON deliveries (change_id);
    ALTER TABLE sources ADD COLUMN removed_at INTEGER;
    "#,
    // 3: endpoints disabled after a 410 Gone.
    r#"
    CREATE TABLE disabled_channels (
        channel       TEXT PRIMARY KEY,
        disabled_at   INTEGER NOT NULL,
        reason        TEXT NOT NULL
    );
    "#,
    // 4: the hash of the last body received, so that an identical page skips extraction.
    "ALTER TABLE articles ADD COLUMN body_hash TEXT;",
    // 5: the host of each article (host[:port]), so that due work is claimed fairly across sites.
    r#"
    ALTER TABLE articles ADD COLUMN host TEXT;
    UPDATE articles SET host = lower(substr(substr(url, instr(url, '://') + 3), 1,
        instr(substr(url, instr(url, '://') + 3) || '/', '/') - 1));
    CREATE INDEX articles_host_due ON articles (host, next_check);
    "#,
    // 6: which rows a running process has claimed, so that a restart after a crash
    // takes up at once the checks the dead process left unfinished.
    r#"
    ALTER TABLE articles ADD COLUMN leased INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN leased INTEGER NOT NULL DEFAULT 0;
    "#,
    // 7: one full-page screenshot (PNG) per stored version of a watch with `screenshot = true`;
    // the image last, so that reading the other columns never touches its pages.
    r#"
    CREATE TABLE screenshots (
        version_id    INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
        taken_at      INTEGER NOT NULL,
        width         INTEGER NOT NULL,
        height        INTEGER NOT NULL,
        bytes         INTEGER NOT NULL,
        png           BLOB NOT NULL
    );
    CREATE INDEX screenshots_taken ON screenshots (taken_at);
    "#,
    // 8: leases with an owner and an expiry, so that several workers can share one
    // database, and the workers' heartbeat rows. `leased` stays, kept in step with
    // `lease_owner` (1 while a worker holds the row).
    r#"
    ALTER TABLE articles ADD COLUMN lease_owner TEXT;
    ALTER TABLE articles ADD COLUMN lease_until INTEGER;
    ALTER TABLE sources ADD COLUMN lease_owner TEXT;
    ALTER TABLE sources ADD COLUMN lease_until INTEGER;
    UPDATE articles SET lease_owner = 'before migration 8', lease_until = next_check WHERE leased = 1;
    UPDATE sources SET lease_owner = 'before migration 8', lease_until = next_check WHERE leased = 1;
    CREATE TABLE workers (
        id            TEXT PRIMARY KEY,
        host          TEXT NOT NULL,
        pid           INTEGER NOT NULL,
        roles         TEXT NOT NULL,
        started_at    INTEGER NOT NULL,
        heartbeat_at  INTEGER NOT NULL,
        doing         TEXT NOT NULL DEFAULT 'idle'
    );
    "#,
    // 9: several workers on one database: outbox rows leased while a worker sends them,
    // and per-host politeness shared by every worker (the next start a host allows,
    // its requests in flight as slots that expire when their worker dies, the robots.txt
    // answer of each origin).
    r#"
    ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
    ALTER TABLE deliveries ADD COLUMN lease_until INTEGER;
    CREATE TABLE host_turns (
        host          TEXT PRIMARY KEY,
        next_start_ms INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE host_slots (
        id            INTEGER PRIMARY KEY,
        host          TEXT NOT NULL,
        owner         TEXT NOT NULL,
        until_ms      INTEGER NOT NULL
    );
    CREATE INDEX host_slots_host ON host_slots (host, until_ms);
    CREATE TABLE host_robots (
        origin        TEXT PRIMARY KEY,
        status        INTEGER NOT NULL,
        body          BLOB NOT NULL,
        fetched_at    INTEGER NOT NULL
    );
    "#,
    // 10: stories across outlets: each article's story, its fingerprint (MinHash signatures)
    // and its LSH band keys, indexed so that grouping a new article is a few lookups.
    r#"
    CREATE TABLE stories (
        id            INTEGER PRIMARY KEY,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    );
    CREATE TABLE story_articles (
        article_id    INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        story_id      INTEGER NOT NULL REFERENCES stories(id),
        source_id     INTEGER NOT NULL,
        at            INTEGER NOT NULL,
        shingles      INTEGER NOT NULL,
        entities      INTEGER NOT NULL,
        signatures    TEXT NOT NULL,
        grouped_at    INTEGER NOT NULL
    );
    CREATE INDEX story_articles_story ON story_articles (story_id, at);
    CREATE TABLE story_bands (
        band_key      INTEGER NOT NULL,
        article_id    INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        PRIMARY KEY (band_key, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX story_bands_article ON story_bands (article_id);
    "#,
    // 11: the response head (status line and headers) kept with each stored page, and
    // whether a version and its change came from an imported web archive.
    r#"
    ALTER TABLE versions ADD COLUMN response_head TEXT;
    ALTER TABLE versions ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE changes ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
    "#,
    // 12 (issue 15): the latest time a listing gave each article (a feed's `updated`, a
    // sitemap's `lastmod`), a hint that it changed then, and the title its own listing gives it; the other URLs of an article
    // (AMP, old canonical routes), folded into it; every headline each version's page
    // showed (`<h1>`, og:title, …), kept beside the content; the new kind's index.
    r#"
    ALTER TABLE articles ADD COLUMN listed_at INTEGER;
    ALTER TABLE articles ADD COLUMN listed_title TEXT;
    CREATE TABLE article_aliases (
        url           TEXT PRIMARY KEY,
        article_id    INTEGER NOT NULL REFERENCES articles(id),
        added_at      INTEGER NOT NULL
    );
    CREATE INDEX article_aliases_article ON article_aliases (article_id);
    CREATE TABLE version_headlines (
        version_id    INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
        headlines     TEXT NOT NULL
    );
    CREATE INDEX changes_kind_headline_test ON changes (id) WHERE kinds LIKE '%"headline_test"%';
    "#,
    // 13: the Internet Archive snapshot of a version, once Save Page Now has captured it.
    "ALTER TABLE versions ADD COLUMN snapshot_url TEXT;",
    // 14 (issue 15): the LSH band keys of story grouping keyed by (key, day of publication),
    // replacing `story_bands`: a lookup reads only the keys of the time window, and no index
    // by article is kept up (an article's old keys are recomputed from its stored signatures),
    // so grouping costs the same at any archive size. No foreign key either: a key whose
    // article is gone finds no `story_articles` row and is ignored. And the validators of
    // each child sitemap of an index, for its conditional GET.
    r#"
    CREATE TABLE story_keys (
        band_key      INTEGER NOT NULL,
        day           INTEGER NOT NULL,
        article_id    INTEGER NOT NULL,
        PRIMARY KEY (band_key, day, article_id)
    ) WITHOUT ROWID;
    INSERT INTO story_keys (band_key, day, article_id)
        SELECT b.band_key, sa.at / 86400, b.article_id
        FROM story_bands b JOIN story_articles sa ON sa.article_id = b.article_id;
    DROP TABLE story_bands;
    CREATE TABLE sitemap_validators (
        source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        url           TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        PRIMARY KEY (source_id, url)
    );
    "#,
    // 15 (issue 16): an outbox row belongs to a version, and to its change when there is
    // one: a first version's Save Page Now submission has none, and a snapshot's
    // `article.archived` webhook follows its change's `article.changed` on the same
    // channel, told apart by `event`. Rebuilt, as SQLite can drop neither a NOT NULL nor
    // a UNIQUE constraint; no table refers to this one.
    r#"
    CREATE TABLE deliveries_v15 (
        id            INTEGER PRIMARY KEY,
        version_id    INTEGER NOT NULL REFERENCES versions(id),
        change_id     INTEGER REFERENCES changes(id),
        event         TEXT NOT NULL DEFAULT 'article.changed',
        channel       TEXT NOT NULL,
        event_id      TEXT NOT NULL UNIQUE,
        payload       TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_attempt  INTEGER NOT NULL,
        last_error    TEXT,
        created_at    INTEGER NOT NULL,
        delivered_at  INTEGER,
        lease_owner   TEXT,
        lease_until   INTEGER,
        UNIQUE (version_id, channel, event)
    );
    INSERT INTO deliveries_v15 (id, version_id, change_id, event, channel, event_id, payload, status, attempts,
                                next_attempt, last_error, created_at, delivered_at, lease_owner, lease_until)
        SELECT d.id, c.to_version, d.change_id,
               CASE WHEN d.channel LIKE 'archive:%' THEN 'version.archive' ELSE 'article.changed' END,
               d.channel, d.event_id, d.payload, d.status, d.attempts, d.next_attempt, d.last_error,
               d.created_at, d.delivered_at, d.lease_owner, d.lease_until
        FROM deliveries d JOIN changes c ON c.id = d.change_id;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_v15 RENAME TO deliveries;
    CREATE INDEX deliveries_due ON deliveries (status, next_attempt);
    CREATE INDEX deliveries_change ON deliveries (change_id);
    "#,
    // 16: the live leases of a host counted from the leased rows alone (a claim asks how
    // many checks each host has in flight), not from every future-due row of the host.
    r#"
    CREATE INDEX articles_leased_host ON articles (host, lease_until) WHERE lease_owner IS NOT NULL;
    "#,
];

/// PostgreSQL's migrations, applied in order; the `redline_schema` table holds how many
/// are applied. Append only, like [`MIGRATIONS`]. The first gives the tables SQLite's seven
/// give: BIGINT ids and times (booleans as 0 and 1, as SQLite stores them), BYTEA for the
/// compressed pages and PNGs, and full-text search through a GIN index on the document
/// [`PG_SEARCH_DOCUMENT`] of each version.
const PG_MIGRATIONS: &[&str] = &[
    // 1: the schema of SQLite's migration 7.
    r#"
    CREATE TABLE sources (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        kind          TEXT NOT NULL CHECK (kind IN ('article', 'feed')),
        url           TEXT NOT NULL UNIQUE,
        schedule      TEXT NOT NULL,
        rules         TEXT NOT NULL DEFAULT '{}',
        enabled       BIGINT NOT NULL DEFAULT 1,
        from_config   BIGINT NOT NULL DEFAULT 0,
        created_at    BIGINT NOT NULL,
        next_check    BIGINT,
        last_checked  BIGINT,
        last_error    TEXT,
        failures      BIGINT NOT NULL DEFAULT 0,
        etag          TEXT,
        last_modified TEXT,
        removed_at    BIGINT,
        leased        BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE articles (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        source_id     BIGINT NOT NULL REFERENCES sources(id),
        url           TEXT NOT NULL UNIQUE,
        canonical_url TEXT,
        first_seen    BIGINT NOT NULL,
        last_checked  BIGINT,
        last_changed  BIGINT,
        next_check    BIGINT,
        etag          TEXT,
        last_modified TEXT,
        failures      BIGINT NOT NULL DEFAULT 0,
        last_error    TEXT,
        state         TEXT NOT NULL DEFAULT 'active',
        body_hash     TEXT,
        host          TEXT,
        leased        BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX articles_due ON articles (next_check);
    CREATE INDEX articles_source ON articles (source_id);
    CREATE INDEX articles_recent ON articles ((COALESCE(last_changed, first_seen)) DESC, id DESC);
    CREATE INDEX articles_host_due ON articles (host, next_check);
    CREATE TABLE versions (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        article_id    BIGINT NOT NULL REFERENCES articles(id),
        number        BIGINT NOT NULL,
        fetched_at    BIGINT NOT NULL,
        content_hash  TEXT NOT NULL,
        title         TEXT,
        byline        TEXT,
        published     TEXT,
        modified      TEXT,
        lang          TEXT,
        canonical_url TEXT,
        paragraphs    TEXT NOT NULL,
        raw_html_zstd BYTEA,
        UNIQUE (article_id, number)
    );
    CREATE INDEX versions_search ON versions
        USING GIN (to_tsvector('simple', COALESCE(title, '') || ' ' || paragraphs));
    CREATE TABLE changes (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        article_id    BIGINT NOT NULL REFERENCES articles(id),
        from_version  BIGINT NOT NULL REFERENCES versions(id),
        to_version    BIGINT NOT NULL UNIQUE REFERENCES versions(id),
        created_at    BIGINT NOT NULL,
        kinds         TEXT NOT NULL,
        significance  DOUBLE PRECISION NOT NULL,
        summary       TEXT NOT NULL,
        diff          TEXT NOT NULL
    );
    CREATE INDEX changes_article ON changes (article_id);
    CREATE INDEX changes_created ON changes (created_at);
    CREATE INDEX changes_browse ON changes (id, created_at, article_id, kinds);
    CREATE INDEX changes_article_time ON changes (article_id, created_at);
    CREATE INDEX changes_kind_headline ON changes (id) WHERE kinds LIKE '%"headline"%';
    CREATE INDEX changes_kind_byline ON changes (id) WHERE kinds LIKE '%"byline"%';
    CREATE INDEX changes_kind_dates ON changes (id) WHERE kinds LIKE '%"dates"%';
    CREATE INDEX changes_kind_editors_note ON changes (id) WHERE kinds LIKE '%"editors_note"%';
    CREATE INDEX changes_kind_correction ON changes (id) WHERE kinds LIKE '%"correction"%';
    CREATE INDEX changes_kind_addition ON changes (id) WHERE kinds LIKE '%"addition"%';
    CREATE INDEX changes_kind_removal ON changes (id) WHERE kinds LIKE '%"removal"%';
    CREATE INDEX changes_kind_rewording ON changes (id) WHERE kinds LIKE '%"rewording"%';
    CREATE INDEX changes_kind_fact ON changes (id) WHERE kinds LIKE '%"fact"%';
    CREATE INDEX changes_kind_typo ON changes (id) WHERE kinds LIKE '%"typo"%';
    CREATE INDEX changes_kind_unannounced ON changes (id) WHERE kinds LIKE '%"unannounced"%';
    CREATE TABLE deliveries (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        change_id     BIGINT NOT NULL REFERENCES changes(id),
        channel       TEXT NOT NULL,
        event_id      TEXT NOT NULL UNIQUE,
        payload       TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts      BIGINT NOT NULL DEFAULT 0,
        next_attempt  BIGINT NOT NULL,
        last_error    TEXT,
        created_at    BIGINT NOT NULL,
        delivered_at  BIGINT,
        UNIQUE (change_id, channel)
    );
    CREATE INDEX deliveries_due ON deliveries (status, next_attempt);
    CREATE INDEX deliveries_change ON deliveries (change_id);
    CREATE TABLE fetch_log (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at            BIGINT NOT NULL,
        url           TEXT NOT NULL,
        source_id     BIGINT,
        article_id    BIGINT,
        status        BIGINT,
        bytes         BIGINT,
        duration_ms   BIGINT,
        outcome       TEXT NOT NULL,
        error         TEXT
    );
    CREATE INDEX fetch_log_at ON fetch_log (at);
    CREATE TABLE disabled_channels (
        channel       TEXT PRIMARY KEY,
        disabled_at   BIGINT NOT NULL,
        reason        TEXT NOT NULL
    );
    CREATE TABLE screenshots (
        version_id    BIGINT PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
        taken_at      BIGINT NOT NULL,
        width         BIGINT NOT NULL,
        height        BIGINT NOT NULL,
        bytes         BIGINT NOT NULL,
        png           BYTEA NOT NULL
    );
    CREATE INDEX screenshots_taken ON screenshots (taken_at);
    "#,
    // 2: SQLite's migration 8: leases with an owner and an expiry, and the workers' heartbeats.
    r#"
    ALTER TABLE articles ADD COLUMN lease_owner TEXT;
    ALTER TABLE articles ADD COLUMN lease_until BIGINT;
    ALTER TABLE sources ADD COLUMN lease_owner TEXT;
    ALTER TABLE sources ADD COLUMN lease_until BIGINT;
    UPDATE articles SET lease_owner = 'before migration 2', lease_until = next_check WHERE leased = 1;
    UPDATE sources SET lease_owner = 'before migration 2', lease_until = next_check WHERE leased = 1;
    CREATE TABLE workers (
        id            TEXT PRIMARY KEY,
        host          TEXT NOT NULL,
        pid           BIGINT NOT NULL,
        roles         TEXT NOT NULL,
        started_at    BIGINT NOT NULL,
        heartbeat_at  BIGINT NOT NULL,
        doing         TEXT NOT NULL DEFAULT 'idle'
    );
    "#,
    // 3: SQLite's migration 9: leased outbox rows and shared per-host politeness.
    r#"
    ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
    ALTER TABLE deliveries ADD COLUMN lease_until BIGINT;
    CREATE TABLE host_turns (
        host          TEXT PRIMARY KEY,
        next_start_ms BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE host_slots (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        host          TEXT NOT NULL,
        owner         TEXT NOT NULL,
        until_ms      BIGINT NOT NULL
    );
    CREATE INDEX host_slots_host ON host_slots (host, until_ms);
    CREATE TABLE host_robots (
        origin        TEXT PRIMARY KEY,
        status        BIGINT NOT NULL,
        body          BYTEA NOT NULL,
        fetched_at    BIGINT NOT NULL
    );
    "#,
    // 4: SQLite's migration 10: stories across outlets, fingerprints and LSH band keys.
    r#"
    CREATE TABLE stories (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        created_at    BIGINT NOT NULL,
        updated_at    BIGINT NOT NULL
    );
    CREATE TABLE story_articles (
        article_id    BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        story_id      BIGINT NOT NULL REFERENCES stories(id),
        source_id     BIGINT NOT NULL,
        at            BIGINT NOT NULL,
        shingles      BIGINT NOT NULL,
        entities      BIGINT NOT NULL,
        signatures    TEXT NOT NULL,
        grouped_at    BIGINT NOT NULL
    );
    CREATE INDEX story_articles_story ON story_articles (story_id, at);
    CREATE TABLE story_bands (
        band_key      BIGINT NOT NULL,
        article_id    BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        PRIMARY KEY (band_key, article_id)
    );
    CREATE INDEX story_bands_article ON story_bands (article_id);
    "#,
    // 5: SQLite's migration 11: the response head kept with each page, imported versions and changes.
    r#"
    ALTER TABLE versions ADD COLUMN response_head TEXT;
    ALTER TABLE versions ADD COLUMN imported BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE changes ADD COLUMN imported BIGINT NOT NULL DEFAULT 0;
    "#,
    // 6: SQLite's migration 12 (issue 15): listing times, aliases, headlines per version.
    r#"
    ALTER TABLE articles ADD COLUMN listed_at BIGINT;
    ALTER TABLE articles ADD COLUMN listed_title TEXT;
    CREATE TABLE article_aliases (
        url           TEXT PRIMARY KEY,
        article_id    BIGINT NOT NULL REFERENCES articles(id),
        added_at      BIGINT NOT NULL
    );
    CREATE INDEX article_aliases_article ON article_aliases (article_id);
    CREATE TABLE version_headlines (
        version_id    BIGINT PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
        headlines     TEXT NOT NULL
    );
    CREATE INDEX changes_kind_headline_test ON changes (id) WHERE kinds LIKE '%"headline_test"%';
    "#,
    // 7: SQLite's migration 13: the Internet Archive snapshot of a version.
    "ALTER TABLE versions ADD COLUMN snapshot_url TEXT;",
    // 8: SQLite's migration 14: story band keys by (key, day); child sitemaps' validators.
    r#"
    CREATE TABLE story_keys (
        band_key      BIGINT NOT NULL,
        day           BIGINT NOT NULL,
        article_id    BIGINT NOT NULL,
        PRIMARY KEY (band_key, day, article_id)
    );
    INSERT INTO story_keys (band_key, day, article_id)
        SELECT b.band_key, sa.at / 86400, b.article_id
        FROM story_bands b JOIN story_articles sa ON sa.article_id = b.article_id;
    DROP TABLE story_bands;
    CREATE TABLE sitemap_validators (
        source_id     BIGINT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        url           TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        PRIMARY KEY (source_id, url)
    );
    "#,
    // 9: SQLite's migration 15: an outbox row belongs to a version, its change is optional.
    r#"
    ALTER TABLE deliveries ADD COLUMN version_id BIGINT REFERENCES versions(id);
    ALTER TABLE deliveries ADD COLUMN event TEXT NOT NULL DEFAULT 'article.changed';
    UPDATE deliveries d SET version_id = c.to_version FROM changes c WHERE c.id = d.change_id;
    UPDATE deliveries SET event = 'version.archive' WHERE channel LIKE 'archive:%';
    ALTER TABLE deliveries ALTER COLUMN version_id SET NOT NULL;
    ALTER TABLE deliveries ALTER COLUMN change_id DROP NOT NULL;
    ALTER TABLE deliveries DROP CONSTRAINT deliveries_change_id_channel_key;
    ALTER TABLE deliveries ADD CONSTRAINT deliveries_version_channel_event UNIQUE (version_id, channel, event);
    "#,
    // 10 (PostgreSQL only): a host turn taken and ended in one statement each, server-side
    // (`Store::take_host_turn`): one round trip instead of nine, and the host row stays
    // locked only while the server runs the function, never while a worker's thread waits
    // to send the next statement. Committed without waiting for the WAL flush, as before.
    r#"
    CREATE FUNCTION redline_take_host_turn(
        p_host TEXT, p_owner TEXT, p_now BIGINT, p_per_host BIGINT, p_gap BIGINT, p_hold BIGINT
    ) RETURNS TABLE (slot BIGINT, start_ms BIGINT) LANGUAGE plpgsql AS $$
    DECLARE
        next_start BIGINT;
        held BIGINT;
    BEGIN
        PERFORM set_config('synchronous_commit', 'off', true);
        SELECT next_start_ms INTO next_start FROM host_turns WHERE host = p_host FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO host_turns (host) VALUES (p_host) ON CONFLICT (host) DO NOTHING;
            SELECT next_start_ms INTO next_start FROM host_turns WHERE host = p_host FOR UPDATE;
        END IF;
        DELETE FROM host_slots WHERE host = p_host AND until_ms <= p_now;
        SELECT COUNT(*) INTO held FROM host_slots WHERE host = p_host;
        IF held >= GREATEST(p_per_host, 1) THEN
            RETURN;
        END IF;
        start_ms := GREATEST(next_start, p_now);
        INSERT INTO host_slots (host, owner, until_ms) VALUES (p_host, p_owner, start_ms + p_hold)
            RETURNING id INTO slot;
        UPDATE host_turns SET next_start_ms = start_ms + GREATEST(p_gap, 0) WHERE host = p_host;
        RETURN NEXT;
    END
    $$;
    CREATE FUNCTION redline_end_host_turn(p_slot BIGINT, p_host TEXT, p_next BIGINT)
    RETURNS VOID LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM set_config('synchronous_commit', 'off', true);
        DELETE FROM host_slots WHERE id = p_slot;
        UPDATE host_turns SET next_start_ms = p_next WHERE host = p_host AND next_start_ms < p_next;
    END
    $$;
    "#,
    // 11 (PostgreSQL only): a claim walks the hosts that have active articles and reads
    // the first few due ones of each from an index in due order (`claim_due_articles_fair`),
    // instead of ranking every due article; the live leases of a host are counted from
    // the leased rows alone, as SQLite's migration 16 does.
    r#"
    CREATE INDEX articles_active_host_due ON articles (host, next_check, id) WHERE state = 'active';
    CREATE INDEX articles_leased_host ON articles (host, lease_until) WHERE lease_owner IS NOT NULL;
    "#,
];

/// The text PostgreSQL's full-text search indexes for a version (`versions_search`):
/// a query must use this very expression for the index to serve it.
pub(crate) const PG_SEARCH_DOCUMENT: &str = "to_tsvector('simple', COALESCE(v.title, '') || ' ' || v.paragraphs)";

/// The key of the advisory lock that serialises migrations on PostgreSQL ("redline" in ASCII).
const PG_MIGRATION_LOCK: i64 = 0x0072_6564_6c69_6e65;

impl Store {
    /// Opens (creating if needed) and migrates the database file.
    pub fn open(path: &Path) -> Result<Store> {
        let name = path.display().to_string();
        Connection::open(path).map_err(StoreError::from).and_then(|conn| Store::setup(conn, &name)).map_err(|e| match e
        {
            StoreError::Sqlite(source) => StoreError::Open { path: name.clone(), hint: open_hint(path), source },
            other => other,
        })
    }

    /// Opens and migrates the PostgreSQL database at `url` (`postgres://user@host/db`; the
    /// password from the environment or the password file, see [`super::pg`]).
    pub fn open_url(url: &str) -> Result<Store> {
        let config = super::pg::config(url).map_err(StoreError::Value)?;
        let mut conn = Conn::Postgres(PgConn::connect(&config, &format!("redline {}", std::process::id()))?);
        let name = super::pg::target(&config);
        migrate(&mut conn, &name)?;
        Ok(Store::from_conn(conn))
    }

    /// Opens the database a config's `[storage]` names: its `url` if set, else its file.
    pub fn open_storage(storage: &crate::config::StorageConfig) -> Result<Store> {
        match &storage.url {
            Some(url) => Store::open_url(url),
            None => Store::open(&storage.path),
        }
    }

    /// An in-memory database, for tests and `compare`.
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?, ":memory:")
    }

    fn setup(conn: Connection, name: &str) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL loses nothing on an application crash; the transaction that
        // records a version, its change and its alerts runs under FULL (see record_version).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A page cache of up to 64 MiB (SQLite's default is 2 MiB), taken only as pages are
        // read: story grouping's band key lookups and inserts land on random pages of a
        // table that grows with the archive (issue 15), and stay in memory instead of
        // going back to the file. Statements are prepared once: the store runs more
        // distinct statements than rusqlite's default cache of 16 holds.
        conn.pragma_update(None, "cache_size", -64 * 1024)?;
        conn.set_prepared_statement_cache_capacity(128);
        let mut conn = Conn::Sqlite(conn);
        migrate(&mut conn, name)?;
        Ok(Store::from_conn(conn))
    }
}

/// How many migrations the database has applied: SQLite's `user_version`, PostgreSQL's
/// `redline_schema` row (0 while the table does not exist). Reads only.
pub(super) fn schema_version(conn: &mut Conn) -> Result<i64> {
    match conn.engine() {
        Engine::Sqlite => conn.scalar("PRAGMA user_version", &[]),
        Engine::Postgres => {
            let exists: bool =
                conn.scalar("SELECT CASE WHEN to_regclass('redline_schema') IS NULL THEN 0 ELSE 1 END", &[])?;
            if !exists {
                return Ok(0);
            }
            Ok(conn.scalar::<Option<i64>>("SELECT MAX(version) FROM redline_schema", &[])?.unwrap_or(0))
        }
    }
}

fn set_schema_version(conn: &mut Conn, version: i64) -> Result<()> {
    match conn.engine() {
        Engine::Sqlite => conn.batch(&format!("PRAGMA user_version = {version}")),
        Engine::Postgres => {
            conn.execute("DELETE FROM redline_schema", &[])?;
            conn.execute("INSERT INTO redline_schema (version) VALUES (?1)", params![version]).map(drop)
        }
    }
}

/// Why a database may not open: a folder that is missing, read-only or full.
fn open_hint(path: &Path) -> String {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return format!(" (the folder {} does not exist)", dir.display());
    }
    match tempfile::tempfile_in(dir) {
        Err(e) if e.raw_os_error() == Some(30) => {
            format!(" (the folder {} is on a read-only file system)", dir.display())
        }
        Err(e) if e.raw_os_error() == Some(28) => format!(" (the disk holding {} is full)", dir.display()),
        Err(e) => format!(" (the folder {} is read-only or not writable: {e})", dir.display()),
        Ok(_) if path.exists() && std::fs::OpenOptions::new().append(true).open(path).is_err() => {
            " (the file is read-only for this user)".to_string()
        }
        Ok(_) => String::new(),
    }
}

fn migrate(conn: &mut Conn, name: &str) -> Result<()> {
    let migrations = match conn.engine() {
        Engine::Sqlite => MIGRATIONS,
        Engine::Postgres => PG_MIGRATIONS,
    };
    let known = migrations.len() as i64;
    let too_new = |found| StoreError::TooNew { path: name.to_string(), found, known };
    // Up to date: no write lock taken, so a database that is full, read-only or
    // locked by a writer still opens for reading.
    let current = schema_version(conn)?;
    if current > known {
        return Err(too_new(current));
    }
    if current == known {
        return Ok(());
    }
    conn.transaction(|tx| {
        if tx.engine() == Engine::Postgres {
            // Held to the commit: a second process migrating at the same time waits here.
            tx.execute("SELECT pg_advisory_xact_lock(?1)", params![PG_MIGRATION_LOCK])?;
            tx.batch("CREATE TABLE IF NOT EXISTS redline_schema (version BIGINT NOT NULL)")?;
        }
        // Read again under the lock: another process may have migrated meanwhile.
        let version = schema_version(tx)?;
        if version > known {
            return Err(too_new(version));
        }
        for sql in &migrations[version as usize..] {
            tx.batch(sql)?;
        }
        set_schema_version(tx, known)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// A database file as a Redline that knew only the first `version` migrations left it.
    fn database_at(path: &std::path::Path, version: usize) -> Connection {
        let conn = Connection::open(path).unwrap();
        for sql in &MIGRATIONS[..version] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", version as i64).unwrap();
        conn
    }

    #[test]
    fn migrating_twice_is_harmless_and_newer_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        drop(Store::open(&path).unwrap());
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).err().unwrap().to_string();
        assert!(err.contains("newer than this Redline knows"), "{err}");
    }

    #[test]
    fn a_version_7_lease_gets_an_owner_and_an_expiry_and_expires_like_any_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let conn = database_at(&path, 7);
        // A check leased until 400 by a run before leases had owners, and a free article.
        conn.execute_batch(
            "INSERT INTO sources (kind, url, schedule, created_at) VALUES ('feed', 'https://a/rss', 'every 10m', 0);
             INSERT INTO articles (source_id, url, first_seen, next_check, leased) VALUES (1, 'https://a/1', 0, 400, 1);
             INSERT INTO articles (source_id, url, first_seen, next_check) VALUES (1, 'https://a/2', 0, 100);",
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let leases = store.query_rows("SELECT lease_owner, lease_until FROM articles ORDER BY id", &[]).unwrap();
        assert_eq!(leases[0].get::<Option<i64>>(1).unwrap(), Some(400));
        assert!(leases[0].get::<Option<String>>(0).unwrap().is_some());
        assert_eq!(leases[1].get::<Option<String>>(0).unwrap(), None);
        let ids = |rows: Vec<crate::store::ArticleRow>| rows.iter().map(|a| a.id).collect::<Vec<_>>();
        assert_eq!(ids(store.claim_due_articles(399, 999, 10, true).unwrap()), vec![2]);
        assert_eq!(ids(store.claim_due_articles(400, 999, 10, true).unwrap()), vec![1]);
        assert!(store.workers().unwrap().is_empty(), "the workers table is there");
    }

    #[test]
    fn a_version_6_database_gains_the_screenshots_table_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        // A database as Redline with six migrations left it, with one stored version.
        let conn = database_at(&path, 6);
        conn.execute_batch(
            "INSERT INTO sources (kind, url, schedule, created_at) VALUES ('article', 'https://a/1', 'every 10m', 0);
             INSERT INTO articles (source_id, url, first_seen) VALUES (1, 'https://a/1', 0);
             INSERT INTO versions (article_id, number, fetched_at, content_hash, title, paragraphs)
             VALUES (1, 1, 5, 'h', 'Old', '[\"kept\"]');",
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let version: i64 = store.conn().scalar("PRAGMA user_version", &[]).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let old = store.version(1, 1).unwrap().unwrap();
        assert_eq!((old.article.title.as_deref(), old.article.paragraphs.clone()), (Some("Old"), vec!["kept".into()]));
        assert_eq!(store.screenshot_info(1, 1).unwrap(), None);
        // The new table takes rows, and they go with their version.
        let png = crate::screenshot::encode(&image::RgbImage::new(3, 2));
        store
            .conn()
            .execute(
                "INSERT INTO screenshots (version_id, taken_at, width, height, bytes, png) VALUES (?1, 5, 3, 2, ?2, ?3)",
                params![old.id, png.len(), png],
            )
            .unwrap();
        assert_eq!(store.screenshot_info(1, 1).unwrap().map(|i| (i.width, i.height)), Some((3, 2)));
        store.conn().execute("DELETE FROM versions WHERE id = ?1", params![old.id]).unwrap();
        assert_eq!(store.count(crate::store::Table::Screenshots).unwrap(), 0, "ON DELETE CASCADE");
    }

    #[test]
    fn a_version_13_outbox_row_gets_its_version_and_its_event() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let conn = database_at(&path, 13);
        conn.execute_batch(
            "INSERT INTO sources (kind, url, schedule, created_at) VALUES ('article', 'https://a/1', 'every 10m', 0);
             INSERT INTO articles (source_id, url, first_seen) VALUES (1, 'https://a/1', 0);
             INSERT INTO versions (article_id, number, fetched_at, content_hash, paragraphs) VALUES (1, 1, 5, 'a', '[]');
             INSERT INTO versions (article_id, number, fetched_at, content_hash, paragraphs) VALUES (1, 2, 6, 'b', '[]');
             INSERT INTO changes (article_id, from_version, to_version, created_at, kinds, significance, summary, diff)
             VALUES (1, 1, 2, 6, '[]', 0.5, 's', '{}');
             INSERT INTO deliveries (change_id, channel, event_id, payload, next_attempt, created_at, lease_owner)
             VALUES (1, 'webhook:h', 'm1', '{}', 6, 6, 'w1');
             INSERT INTO deliveries (change_id, channel, event_id, payload, next_attempt, created_at)
             VALUES (1, 'archive:web.archive.org', 'm2', '{}', 6, 6);",
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let rows = store
            .conn()
            .query("SELECT version_id, change_id, event, lease_owner FROM deliveries ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap(), r.get(3).unwrap()))
            .collect::<Vec<(i64, Option<i64>, String, Option<String>)>>();
        assert_eq!(
            rows,
            [(2, Some(1), "article.changed".into(), Some("w1".into())), (2, Some(1), "version.archive".into(), None)]
        );
        assert_eq!(store.deliveries("pending").unwrap().len(), 2);
    }

    #[test]
    fn postgres_migrates_once_and_refuses_a_newer_schema() {
        let db = crate::store::pg::TestDatabase::create(&crate::store::pg::test_server_url()).unwrap();
        drop(Store::open_url(&db.url).unwrap());
        let store = Store::open_url(&db.url).unwrap();
        assert_eq!(store.ping().unwrap(), PG_MIGRATIONS.len() as i64);
        assert_eq!(store.conn().scalar::<i64>("SELECT COUNT(*) FROM redline_schema", &[]).unwrap(), 1);
        store.conn().execute("UPDATE redline_schema SET version = 99", &[]).unwrap();
        drop(store);
        let err = Store::open_url(&db.url).err().unwrap().to_string();
        let known = format!("schema version 99, newer than this Redline knows ({})", PG_MIGRATIONS.len());
        assert!(err.contains(&known), "{err}");
        assert!(err.contains("root@127.0.0.1:5432/redline_test_") || err.contains("/redline_test_"), "{err}");
    }

    #[test]
    fn postgres_calls_work_on_plain_threads_the_blocking_pool_and_async_workers() {
        let db = crate::store::pg::TestDatabase::create(&crate::store::pg::test_server_url()).unwrap();
        let store = std::sync::Arc::new(Store::open_url(&db.url).unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let on_pool = std::sync::Arc::clone(&store);
        let pooled = runtime.block_on(async move {
            // An async worker thread first (a blocking call there is a SQLite call's behaviour too)…
            let inline = on_pool.ping().unwrap();
            // …then tokio's blocking pool, where the daemon's store calls run.
            let pooled = crate::store::blocking(move || on_pool.ping()).await.unwrap().unwrap();
            inline + pooled
        });
        let plain = std::thread::spawn(move || store.ping().unwrap()).join().unwrap();
        let known = PG_MIGRATIONS.len() as i64;
        assert_eq!((pooled, plain), (2 * known, known));
        // A store dropped inside an async context shuts its runtime down without blocking.
        let store = Store::open_url(&db.url).unwrap();
        runtime.block_on(async move { drop(store) });
    }
}
