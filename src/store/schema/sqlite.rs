//! SQLite's migrations, one SQL batch each.

/// Schema migrations, applied in order; `user_version` counts those applied.
/// Append only: never edit or remove an entry, never drop a column.
pub(super) const MIGRATIONS: &[&str] = &[
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
