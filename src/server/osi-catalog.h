/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sys/stat.h>

#include <gio/gio.h>

G_BEGIN_DECLS

/* The catalog of the backup folder (docs/api.md §6.1): what the server knows of
 * each backup beyond the file itself (protection, note, kind, checksum,
 * latest verification), the backup policy and the log of scheduled runs.
 *
 * One SQLite database, BACKUP_DIR/.osi-catalog.sqlite (with its -wal and
 * -shm files), in WAL mode: a crash or a SIGKILL at any moment leaves it
 * whole, holding every transaction whose call returned. Its name starts
 * with a dot, which no backup name can, so the folder never lists it and
 * its start-up cleaning leaves it alone. Losing it loses metadata, never
 * a backup: a catalog that cannot be read is moved aside and a fresh one
 * started (osi_catalog_get_moved_aside ()).
 *
 * Threads: one connection, owned by the thread that opened it, which must
 * make every call; in the server, the main loop's thread. Work done in
 * other threads (hashing, verifying) hands its result to the main loop
 * (g_main_context_invoke ()) to be recorded. Every call but open, load_all
 * and import_checksums is one indexed statement on one row (or a few
 * for the runs): tens of microseconds, plus, for a write, one fsync () of
 * the WAL (synchronous=FULL, see osi-catalog.c).
 *
 * Times are seconds since the epoch (UTC). */

#define OSI_CATALOG_FILE_NAME       ".osi-catalog.sqlite"
/* The version of the schema this code writes (PRAGMA user_version). */
#define OSI_CATALOG_SCHEMA_VERSION  2
/* The longest note, in characters (Unicode code points). */
#define OSI_CATALOG_NOTE_MAX_CHARS  500
/* How many runs the log keeps; older ones are pruned as runs are added. */
#define OSI_CATALOG_RUNS_KEPT       1000
/* The longest run detail kept, in characters; longer ones are cut. */
#define OSI_CATALOG_DETAIL_MAX_CHARS 1000

/* How a backup came to be; the names are the API's "kind" values. */
typedef enum
{
  OSI_CATALOG_KIND_UNKNOWN = 0,   /* not recorded */
  OSI_CATALOG_KIND_MANUAL,
  OSI_CATALOG_KIND_SCHEDULED,
  OSI_CATALOG_KIND_SAFETY,
  OSI_CATALOG_KIND_UPLOAD,
} OsiCatalogKind;

/* The latest verification's verdict; the names are the API's. */
typedef enum
{
  OSI_CATALOG_VERDICT_NONE = 0,   /* never verified */
  OSI_CATALOG_VERDICT_RESTORABLE,
  OSI_CATALOG_VERDICT_NOT_RESTORABLE,
  OSI_CATALOG_VERDICT_UNPROVEN,
} OsiCatalogVerdict;

typedef enum
{
  OSI_CATALOG_RUN_BACKUP,
  OSI_CATALOG_RUN_VERIFY,
  OSI_CATALOG_RUN_PRUNE,
} OsiCatalogRunKind;

/* "manual", …, or NULL for OSI_CATALOG_KIND_UNKNOWN (and the like for the
 * others: "restorable", …; "backup", "verify", "prune"). from_string ()
 * returns FALSE for a name it does not know. */
const char *osi_catalog_kind_to_string       (OsiCatalogKind     kind);
gboolean    osi_catalog_kind_from_string     (const char        *text,
                                              OsiCatalogKind    *kind);
const char *osi_catalog_verdict_to_string    (OsiCatalogVerdict  verdict);
gboolean    osi_catalog_verdict_from_string  (const char        *text,
                                              OsiCatalogVerdict *verdict);
const char *osi_catalog_run_kind_to_string   (OsiCatalogRunKind  kind);
gboolean    osi_catalog_run_kind_from_string (const char        *text,
                                              OsiCatalogRunKind *kind);

/* The file a checksum was computed over, as stat () saw it: the checksum
 * holds while all three stay the same, the rule the sidecar files follow
 * (a file changed in place, or replaced under the same name, changes its
 * ctime). */
typedef struct
{
  gint64 size;
  gint64 mtime_ns;
  gint64 ctime_ns;
} OsiCatalogStamp;

void        osi_catalog_stamp_from_stat      (OsiCatalogStamp   *stamp,
                                              const struct stat *st);

/* What the catalog knows of one backup. A backup it has never heard of
 * is all defaults: not protected, no note, kind unknown, no checksum,
 * never verified. The strings live in the entry's own block (one
 * allocation, which 100,000 entries read at once need): read only, freed
 * with the entry. */
typedef struct
{
  const char        *name;
  gboolean           is_protected;
  const char        *note;          /* NULL: none */
  OsiCatalogKind     kind;
  const char        *sha256;        /* NULL: none; lowercase hex, valid for stamp only */
  OsiCatalogStamp    stamp;
  OsiCatalogVerdict  verdict;
  gint64             verified_at;   /* when verdict is not NONE */
} OsiCatalogEntry;

void        osi_catalog_entry_free           (OsiCatalogEntry   *entry);
/* The entry's checksum when it was computed over the file st describes,
 * else NULL. */
const char *osi_catalog_entry_get_sha256     (const OsiCatalogEntry *entry,
                                              const struct stat *st);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiCatalogEntry, osi_catalog_entry_free)

/* One scheduled run. detail is never NULL (empty when none). */
typedef struct
{
  OsiCatalogRunKind  kind;
  gint64             at;
  gboolean           ok;
  char              *detail;
} OsiCatalogRun;

void        osi_catalog_run_free             (OsiCatalogRun     *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiCatalogRun, osi_catalog_run_free)

/* A checksum found in a sidecar file, for osi_catalog_import_checksums (). */
typedef struct
{
  const char      *name;
  const char      *sha256;
  OsiCatalogStamp  stamp;
} OsiCatalogChecksum;

/* Whether note may be stored: valid UTF-8, at most
 * OSI_CATALOG_NOTE_MAX_CHARS characters, and no control character but
 * line feed and tab (no carriage return: lines end with "\n"). Any other
 * character is accepted as written. G_IO_ERROR_INVALID_ARGUMENT with a
 * message that can be shown to the user otherwise. */
gboolean    osi_catalog_note_is_valid        (const char        *note,
                                              GError           **error);

#define OSI_TYPE_CATALOG (osi_catalog_get_type ())

G_DECLARE_FINAL_TYPE (OsiCatalog, osi_catalog, OSI, CATALOG, GObject)

/* Opens the catalog of the backup folder backup_dir, creating it (mode
 * 0600) or bringing its schema up to date. A file that is not a catalog
 * this code can read (not a regular file, not a SQLite database, corrupt
 * as PRAGMA quick_check says, another application's database) is moved
 * aside to OSI_CATALOG_FILE_NAME.corrupt-YYYYMMDDTHHMMSSZ (with its WAL)
 * and a fresh catalog made: osi_catalog_get_moved_aside () then says
 * where, for the caller to log. A catalog written by a newer version
 * (its schema version above OSI_CATALOG_SCHEMA_VERSION) is left alone:
 * G_IO_ERROR_NOT_SUPPORTED. Other failures (permissions, disk full, I/O):
 * the GError says which. Reads the whole file once (quick_check). */
OsiCatalog *osi_catalog_open                 (const char        *backup_dir,
                                              GError           **error);
/* The path the unreadable catalog was moved to when this one was opened,
 * or NULL when nothing was moved; and why (the error that made it
 * unreadable), for the log. */
const char *osi_catalog_get_moved_aside      (OsiCatalog        *self);
const char *osi_catalog_get_moved_aside_reason (OsiCatalog      *self);
const char *osi_catalog_get_path             (OsiCatalog        *self);
/* Closes the database (checkpointing its WAL). Later calls fail with
 * G_IO_ERROR_CLOSED. Also done when the object is finalized. */
void        osi_catalog_close                (OsiCatalog        *self);

/* What the catalog knows of name (defaults when nothing); NULL only on
 * error. */
OsiCatalogEntry *osi_catalog_get_entry       (OsiCatalog        *self,
                                              const char        *name,
                                              GError           **error);
/* Every entry in one read: name → OsiCatalogEntry (the key is the entry's
 * name; the table frees both). For the list of 100,000 backups. */
GHashTable *osi_catalog_load_all             (OsiCatalog        *self,
                                              GError           **error);

/* Each setter records one thing of one backup, creating its entry when
 * needed, and returns when that is on disk. */
gboolean    osi_catalog_set_protected        (OsiCatalog        *self,
                                              const char        *name,
                                              gboolean           is_protected,
                                              GError           **error);
/* NULL or "" removes the note; otherwise see osi_catalog_note_is_valid (). */
gboolean    osi_catalog_set_note             (OsiCatalog        *self,
                                              const char        *name,
                                              const char        *note,
                                              GError           **error);
gboolean    osi_catalog_set_kind             (OsiCatalog        *self,
                                              const char        *name,
                                              OsiCatalogKind     kind,
                                              GError           **error);
/* sha256 (64 hexadecimal digits) computed over the file stamp describes;
 * NULL removes it. */
gboolean    osi_catalog_set_sha256           (OsiCatalog        *self,
                                              const char        *name,
                                              const char        *sha256,
                                              const OsiCatalogStamp *stamp,
                                              GError           **error);
/* OSI_CATALOG_VERDICT_NONE forgets the verification. */
gboolean    osi_catalog_set_verification     (OsiCatalog        *self,
                                              const char        *name,
                                              OsiCatalogVerdict  verdict,
                                              gint64             at,
                                              GError           **error);
/* Records n_entries entries whole, each replacing all the catalog knew
 * of its backup (its sha256, when not NULL, for its stamp; its
 * verified_at only with a verdict), all or none in one transaction (one
 * sync): for a catalog written from another record of it, as the
 * benchmarks fill one with 100,000 backups. A note that
 * osi_catalog_note_is_valid () refuses fails the call and writes
 * nothing. */
gboolean    osi_catalog_set_entries          (OsiCatalog        *self,
                                              const OsiCatalogEntry *entries,
                                              guint              n_entries,
                                              GError           **error);
/* Forgets everything about name: for a backup that was deleted. */
gboolean    osi_catalog_forget               (OsiCatalog        *self,
                                              const char        *name,
                                              GError           **error);
/* The same for n_names backups, all or none, in one transaction (one
 * sync): for the backups found gone at start. */
gboolean    osi_catalog_forget_many          (OsiCatalog        *self,
                                              const char * const *names,
                                              guint              n_names,
                                              GError           **error);

/* Records the checksums read from sidecar files (.NAME.sha256), all or
 * none, in one transaction: the caller removes the sidecars, if it wants,
 * only after this returned TRUE. A checksum already in the catalog for
 * the same stamp is kept; any other is replaced. Running it again with
 * the same pairs changes nothing. */
gboolean    osi_catalog_import_checksums     (OsiCatalog        *self,
                                              const OsiCatalogChecksum *checksums,
                                              guint              n_checksums,
                                              GError           **error);

/* The policy as the JSON text it was stored as (validated by the caller),
 * in *json; NULL there when none was ever stored. */
gboolean    osi_catalog_get_policy           (OsiCatalog        *self,
                                              char             **json,
                                              GError           **error);
gboolean    osi_catalog_set_policy           (OsiCatalog        *self,
                                              const char        *json,
                                              GError           **error);
/* Any other setting of the server by key (the policy is "policy"), as
 * UTF-8 text; *value NULL when the key was never set. */
gboolean    osi_catalog_get_setting          (OsiCatalog        *self,
                                              const char        *key,
                                              char             **value,
                                              GError           **error);
gboolean    osi_catalog_set_setting          (OsiCatalog        *self,
                                              const char        *key,
                                              const char        *value,
                                              GError           **error);

/* Adds a run to the log, keeping the OSI_CATALOG_RUNS_KEPT newest. detail
 * (NULL for none) is made valid UTF-8 and cut to
 * OSI_CATALOG_DETAIL_MAX_CHARS characters. */
gboolean    osi_catalog_add_run              (OsiCatalog        *self,
                                              OsiCatalogRunKind  kind,
                                              gint64             at,
                                              gboolean           ok,
                                              const char        *detail,
                                              GError           **error);
/* The n latest runs (OsiCatalogRun), newest first (in the order they
 * were added). */
GPtrArray  *osi_catalog_list_runs            (OsiCatalog        *self,
                                              guint              n,
                                              GError           **error);
/* The latest run of that kind in *run, NULL there when the log has none:
 * for the schedule to know, after a restart, when it last ran. */
gboolean    osi_catalog_get_last_run         (OsiCatalog        *self,
                                              OsiCatalogRunKind  kind,
                                              OsiCatalogRun    **run,
                                              GError           **error);

/* ------------------------------------------------------------------------ */
/* Off-site copies (docs/api.md §7), osi-catalog-offsite.c                   */

typedef enum
{
  OSI_COPY_PENDING,
  OSI_COPY_COPYING,
  OSI_COPY_DONE,
  OSI_COPY_FAILED,
} OsiCopyState;

/* "pending", "copying", "done", "failed" and back. */
const char *osi_copy_state_to_string         (OsiCopyState       state);
gboolean    osi_copy_state_from_string       (const char        *text,
                                              OsiCopyState      *state);

/* One backup's off-site copy, as the catalog records it. A row is its
 * own: forgetting the backup's record (osi_catalog_forget ()) leaves it. */
typedef struct
{
  char           *name;
  OsiCopyState    state;
  gint64          at;          /* when the state was reached, seconds */
  char           *detail;      /* never NULL */
  gint64          size;        /* -1: unknown */
  char           *sha256;      /* NULL: unknown */
  gint64          date_us;     /* the backup's date, µs since the epoch */
  OsiCatalogKind  kind;
  gboolean        is_protected;  /* mirrored from the backup's record */
  char           *upload_id;   /* the multipart upload under way, or NULL */
  gint64          queued;      /* the queue's order: smaller goes first */
} OsiCatalogCopy;

OsiCatalogCopy *osi_catalog_copy_new         (const char        *name);
OsiCatalogCopy *osi_catalog_copy_dup         (const OsiCatalogCopy *copy);
void        osi_catalog_copy_free            (OsiCatalogCopy    *copy);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiCatalogCopy, osi_catalog_copy_free)

/* Every copy (OsiCatalogCopy), in the queue's order. */
GPtrArray  *osi_catalog_list_copies          (OsiCatalog        *self,
                                              GError           **error);
/* Each returns when the change is on disk. put writes the row whole. */
gboolean    osi_catalog_put_copy             (OsiCatalog        *self,
                                              const OsiCatalogCopy *copy,
                                              GError           **error);
gboolean    osi_catalog_set_copy_state       (OsiCatalog        *self,
                                              const char        *name,
                                              OsiCopyState       state,
                                              gint64             at,
                                              const char        *detail,
                                              GError           **error);
/* NULL forgets it. */
gboolean    osi_catalog_set_copy_upload_id   (OsiCatalog        *self,
                                              const char        *name,
                                              const char        *upload_id,
                                              GError           **error);
gboolean    osi_catalog_forget_copy          (OsiCatalog        *self,
                                              const char        *name,
                                              GError           **error);
/* Writes the n_put copies whole and forgets the n_forget names, all or
 * none, in one transaction (one sync): for the storage's list read at
 * start, which can bring back thousands of copies a lost catalog had. */
gboolean    osi_catalog_update_copies        (OsiCatalog        *self,
                                              const OsiCatalogCopy * const *put,
                                              guint              n_put,
                                              const char * const *forget,
                                              guint              n_forget,
                                              GError           **error);

G_END_DECLS
