/* migrate.h -- the schema migrations, compiled into the binary by server/embed.py from migrations/. */
#ifndef VIZD_MIGRATE_H
#define VIZD_MIGRATE_H

typedef struct {
    int version;        /* the schema version the database has after this migration */
    const char *name;   /* "0001_init.sql" */
    const char *sql;
} vz_migration;

/* In version order, terminated by an entry whose version is 0: SQLite's (migrations/), whose version is
 * the PRAGMA user_version, and PostgreSQL's (migrations/postgresql/), whose version is kept in the
 * vizd_schema table. */
extern const vz_migration vz_migrations[];
extern const vz_migration vz_pg_migrations[];

#endif
