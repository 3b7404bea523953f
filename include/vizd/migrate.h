/* migrate.h -- the schema migrations, compiled into the binary by server/embed.py from migrations/. */
#ifndef VIZD_MIGRATE_H
#define VIZD_MIGRATE_H

typedef struct {
    int version;        /* the PRAGMA user_version the database has after this migration */
    const char *name;   /* "0001_init.sql" */
    const char *sql;
} vz_migration;

/* In version order, terminated by an entry whose version is 0. */
extern const vz_migration vz_migrations[];

#endif
