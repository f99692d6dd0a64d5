/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "osi-archive.h"
#include "osi-backup-folder.h"
#include "osi-catalog.h"
#include "osi-clock.h"
#include "osi-demo-data.h"
#include "osi-server.h"
#include "osi-test-http.h"
#include "osi-test-support.h"

/* The backup policy of docs/api.md §6 as osi-backup-server serves it
 * (docs/api.md §6): the catalog in the server (checksums, the sidecar
 * migration, a catalog moved aside, deleted backups forgotten), the list's
 * new members, the endpoints (PATCH, policy, prune, DELETE of a protected
 * backup), and the scheduler.
 *
 * The endpoints are tested against the real osi-backup-server on
 * 127.0.0.1 port 0; the scheduler against an OsiServer in this process,
 * driven by a manual OsiClock that the test moves forward by hand, so
 * that weeks of schedule run in no time and nothing sleeps. */

#define TOKEN "policy-test-token-7c2e"
#define FAKE_SHA256 "abababababababababababababababababababababababababababababababab"

/* One backup that cannot be deleted, for the prune's failures. As root
 * (the CI), neither a read-only folder nor anything but a mount on the
 * file makes one file of a folder undeletable, and a container may allow
 * no mount: unlinkat () is defined again here, in the test program,
 * which the dynamic linker prefers to the C library for the server
 * linked in (as tests/osi-test-io-watch.h does), and fails as it would
 * for a mount point (EBUSY) on the name set, passing every other call
 * on. */
static char *undeletable;   /* a backup's name, or NULL; atomic */

int test_unlinkat (int dir_fd, const char *path, int flags) __asm__ ("unlinkat");

int
test_unlinkat (int         dir_fd,
               const char *path,
               int         flags)
{
  static int (*next) (int, const char *, int);
  int (*call) (int, const char *, int) = __atomic_load_n (&next, __ATOMIC_ACQUIRE);
  const char *name = g_atomic_pointer_get (&undeletable);
  const char *base = path != NULL ? strrchr (path, '/') : NULL;

  if (call == NULL)
    {
      /* Looked up twice at worst, to the same function. */
      call = (int (*) (int, const char *, int))dlsym (RTLD_NEXT, "unlinkat");
      if (call == NULL)
        abort ();
      __atomic_store_n (&next, call, __ATOMIC_RELEASE);
    }
  base = base != NULL ? base + 1 : path;
  if (name != NULL && base != NULL && strcmp (base, name) == 0)
    {
      errno = EBUSY;
      return -1;
    }
  return call (dir_fd, path, flags);
}

static void
set_undeletable (const char *name)
{
  g_free (g_atomic_pointer_exchange (&undeletable, g_strdup (name)));
}

/* The times the scheduler said that its verification pass waits for a
 * restore: it says so once the verification under way has stopped. */
static int n_paused;   /* atomic */

static GLogWriterOutput
count_pauses (GLogLevelFlags   log_level,
              const GLogField *fields,
              gsize            n_fields,
              gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
        g_str_has_prefix (fields[i].value, "Verification paused while a restore runs"))
      g_atomic_int_inc (&n_paused);
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  OsiTestServer *server;       /* the real osi-backup-server… */
  OsiServer     *in_process;   /* …or one in this process */
  OsiClock      *clock;        /* its clock */
  char          *url;          /* of either */
  SoupSession   *session;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, 64 * 1024, 1);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  f->session = soup_session_new ();
  if (g_getenv ("OSI_BACKUP_TOKEN") != NULL)
    g_unsetenv ("OSI_BACKUP_TOKEN");
}

static void
stop (Fixture *f)
{
  if (f->server != NULL && f->server->pid > 0)
    g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, osi_test_server_free);
  g_clear_pointer (&f->url, g_free);
}

static void stop_in_process (Fixture *f);

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  stop (f);
  if (f->in_process != NULL)
    stop_in_process (f);
  set_undeletable (NULL);
  g_clear_object (&f->clock);
  g_clear_object (&f->session);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
}

static void
start (Fixture *f)
{
  g_assert_null (f->server);
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, TOKEN, NULL);
  /* A test may start the server again, at another address. */
  g_free (f->url);
  f->url = g_strdup (f->server->url);
}

static char *
backup_path (Fixture    *f,
             const char *name)
{
  return g_build_filename (f->backups, name, NULL);
}

/* A real archive of the data, put into the backup folder by hand. */
static void
put_archive (Fixture    *f,
             const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = backup_path (f, name);

  g_assert_true (osi_archive_create (f->data, path, OSI_COMPRESSION_ZSTD, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The catalog as the server left it (the server stopped). */
static OsiCatalog *
open_catalog (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  OsiCatalog *catalog = osi_catalog_open (f->backups, &error);

  g_assert_no_error (error);
  g_assert_null (osi_catalog_get_moved_aside (catalog));
  return catalog;
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */

/* body: JSON text sent as application/json, or NULL for none. */
static OsiTestResponse *
request (Fixture    *f,
         const char *method,
         const char *path_query,
         const char *body)
{
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;

  /* on the main context, which an in-process server needs to answer */
  return osi_test_request (f->session, TRUE, method, f->url, path_query, TOKEN, "application/json", bytes);
}

/* body: bytes sent as application/octet-stream (an upload). */
static OsiTestResponse *
request_bytes (Fixture    *f,
               const char *method,
               const char *path_query,
               GBytes     *body)
{
  return osi_test_request (f->session, TRUE, method, f->url, path_query, TOKEN, "application/octet-stream", body);
}

/* Restores the archive put as by-hand_20250101.tar.zst; the name of the
 * safety backup the answer gives. */
/* Every error is {"detail": "..."}: returns the detail. */
static const char *
assert_error (OsiTestResponse *r,
              guint            status)
{
  const char *detail;

  osi_test_response_assert_status (r, status);
  detail = json_object_get_string_member_with_default (osi_test_response_object (r), "detail", NULL);
  g_assert_nonnull (detail);
  g_assert_cmpuint (strlen (detail), >, 0);
  return detail;
}

/* The list's entries, newest first; r keeps them. */
static JsonArray *
list_backups (Fixture          *f,
              OsiTestResponse **r)
{
  *r = request (f, "GET", "/api/rag/backup", NULL);
  osi_test_response_assert_status (*r, SOUP_STATUS_OK);
  return json_object_get_array_member (osi_test_response_object (*r), "backups");
}

/* The list entry of name (a new reference), or NULL. */
static JsonObject *
find_entry (Fixture    *f,
            const char *name)
{
  g_autoptr(OsiTestResponse) r = NULL;
  JsonArray *backups = list_backups (f, &r);
  JsonObject *found = osi_test_json_find_named (backups, name);

  return found != NULL ? json_object_ref (found) : NULL;
}

typedef struct
{
  Fixture    *f;
  const char *name;
} Awaited;

static gboolean
listed_as_safety (gpointer data)
{
  Awaited *awaited = data;
  g_autoptr(JsonObject) entry = find_entry (awaited->f, awaited->name);

  return entry != NULL &&
         g_strcmp0 (json_object_get_string_member_with_default (entry, "kind", NULL), "safety") == 0;
}

static void
wait_listed_as_safety (Fixture    *f,
                       const char *name)
{
  Awaited awaited = { f, name };

  osi_test_wait_for (listed_as_safety, &awaited, "the safety backup to be listed");
}

static char *
restore_by_hand (Fixture *f)
{
  g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/restore",
                                   "{\"backupFile\": \"by-hand_20250101.tar.zst\"}");
  const char *safety;

  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  safety = json_object_get_string_member (osi_test_response_object (r), "safety_backup");
  g_assert_nonnull (safety);
  /* made after the swap (docs/api.md §3.5): listed once whole */
  wait_listed_as_safety (f, safety);
  return g_strdup (safety);
}

/* ------------------------------------------------------------------------ */
/* The catalog in the server                                                */

/* Backups with sidecar files from an older server: their checksums are
 * imported into the catalog at start, and listed once the sidecars are
 * gone. The sidecar of one holds a checksum that is not the
 * file's (a server trusts its sidecars): seeing it listed after the
 * sidecars are gone proves it came from the catalog, not from hashing. */
static void
test_sidecar_migration (Fixture       *f,
                        gconstpointer  user_data)
{
  static const char * const names[] = { "backup_20250101_000000.tar.zst", "backup_20250102_000000.tar.zst" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *side = g_strdup_printf ("%s/.%s.sha256", f->backups, names[i]);
      g_autofree char *text = g_strdup_printf ("%s  %s\n", FAKE_SHA256, names[i]);

      put_archive (f, names[i]);
      g_assert_true (g_file_set_contents (side, text, -1, NULL));
    }

  /* Imported at start, before anything was listed. */
  start (f);
  stop (f);

  {
    g_autoptr(OsiCatalog) catalog = open_catalog (f);

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autoptr(OsiCatalogEntry) entry = osi_catalog_get_entry (catalog, names[i], NULL);

        g_assert_cmpstr (entry->sha256, ==, FAKE_SHA256);
      }
  }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *side = g_strdup_printf ("%s/.%s.sha256", f->backups, names[i]);

      g_assert_cmpint (g_unlink (side), ==, 0);
    }

  start (f);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(JsonObject) entry = find_entry (f, names[i]);

      g_assert_cmpstr (json_object_get_string_member (entry, "sha256"), ==, FAKE_SHA256);
    }
}

/* The checksum of a backup the server made goes into the catalog; a
 * backup deleted while the server was stopped is forgotten at start. */
static void
test_catalog_records_and_forgets (Fixture       *f,
                                  gconstpointer  user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *sha256 = NULL;

  start (f);
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup", NULL);
    JsonObject *backup;

    osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
    backup = json_object_get_object_member (osi_test_response_object (r), "backup");
    name = g_strdup (json_object_get_string_member (backup, "name"));
    sha256 = g_strdup (json_object_get_string_member (backup, "sha256"));
  }
  stop (f);

  {
    g_autoptr(OsiCatalog) catalog = open_catalog (f);
    g_autoptr(OsiCatalogEntry) entry = osi_catalog_get_entry (catalog, name, NULL);
    g_autofree char *path = backup_path (f, name);
    struct stat st;

    g_assert_cmpint (stat (path, &st), ==, 0);
    g_assert_cmpstr (osi_catalog_entry_get_sha256 (entry, &st), ==, sha256);
  }

  {
    g_autofree char *path = backup_path (f, name);

    g_assert_cmpint (g_unlink (path), ==, 0);
  }
  start (f);
  {
    g_autofree char *query = g_strconcat ("/api/rag/backup?filename=", name, NULL);
    g_autoptr(OsiTestResponse) r = request (f, "DELETE", query, NULL);

    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  stop (f);
  {
    g_autoptr(OsiCatalog) catalog = open_catalog (f);
    g_autoptr(GHashTable) all = osi_catalog_load_all (catalog, NULL);

    g_assert_nonnull (all);
    g_assert_false (g_hash_table_contains (all, name));
  }
}

/* Checksums found are recorded together a moment later (one
 * transaction): one found for a backup deleted before that moment, by a
 * DELETE or a prune, is not recorded then, when the deletion has
 * forgotten the backup's record. The folder stopping records what waits. */
static void
test_catalog_deleted_before_recorded (Fixture       *f,
                                      gconstpointer  user_data)
{
  static const char * const names[] = {
    "backup_20250101_000000.tar.zst", "backup_20250102_000000.tar.zst", "backup_20250103_000000.tar.zst",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiBackupFolder) folder = NULL;
  g_autoptr(OsiCatalog) catalog = NULL;
  g_autoptr(GHashTable) all = NULL;
  const OsiCatalogEntry *kept;
  int errors[1];

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    put_archive (f, names[i]);
  folder = osi_backup_folder_new (f->backups, &error);
  g_assert_no_error (error);
  catalog = osi_catalog_open (f->backups, &error);
  g_assert_no_error (error);
  osi_backup_folder_attach_catalog (folder, catalog);
  /* No main loop runs meanwhile: the three wait to be recorded. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = backup_path (f, names[i]);
      struct stat st;

      g_assert_cmpint (stat (path, &st), ==, 0);
      osi_backup_folder_store_sha256 (folder, names[i], &st, FAKE_SHA256);
    }
  g_assert_true (osi_backup_folder_delete (folder, names[0]));
  g_assert_cmpuint (osi_backup_folder_delete_many (folder, &names[1], 1, errors), ==, 0);
  g_assert_cmpint (errors[0], ==, 0);
  osi_backup_folder_stop (folder);
  g_clear_object (&folder);
  g_clear_object (&catalog);

  catalog = open_catalog (f);
  all = osi_catalog_load_all (catalog, &error);
  g_assert_no_error (error);
  g_assert_false (g_hash_table_contains (all, names[0]));
  g_assert_false (g_hash_table_contains (all, names[1]));
  kept = g_hash_table_lookup (all, names[2]);
  g_assert_nonnull (kept);
  g_assert_cmpstr (kept->sha256, ==, FAKE_SHA256);
}

/* ------------------------------------------------------------------------ */
/* List members: kind, protected, verified                                  */

/* The name of a backup made by POST /api/rag/backup; its 201 entry is a
 * list entry with the catalog's members. */
static char *
create_backup (Fixture *f)
{
  g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup", NULL);
  JsonObject *backup;

  osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
  backup = json_object_get_object_member (osi_test_response_object (r), "backup");
  g_assert_cmpstr (json_object_get_string_member (backup, "kind"), ==, "manual");
  g_assert_false (json_object_has_member (backup, "protected"));
  return g_strdup (json_object_get_string_member (backup, "name"));
}

static const char *
kind_of (JsonObject *entry)
{
  return json_object_get_string_member_with_default (entry, "kind", NULL);
}

static JsonObject *
verify (Fixture    *f,
        const char *name)
{
  g_autofree char *query = g_strconcat ("/api/rag/backup/verify?filename=", name, NULL);
  g_autoptr(OsiTestResponse) r = request (f, "GET", query, NULL);
  g_autoptr(JsonObject) entry = NULL;
  JsonObject *verified;

  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  entry = find_entry (f, name);
  g_assert_nonnull (entry);
  verified = json_object_get_object_member (entry, "verified");
  g_assert_nonnull (verified);
  /* "at": ISO 8601 UTC, whole seconds */
  {
    const char *at = json_object_get_string_member (verified, "at");
    g_autoptr(GDateTime) date = g_date_time_new_from_iso8601 (at, NULL);

    g_assert_nonnull (date);
    g_assert_true (g_str_has_suffix (at, "Z"));
    g_assert_cmpuint (strlen (at), ==, strlen ("2026-01-01T00:00:00Z"));
  }
  /* the verdict the report gave */
  g_assert_cmpstr (json_object_get_string_member (verified, "verdict"), ==,
                   g_strcmp0 (json_object_get_string_member (osi_test_response_object (r), "verdict"), "not_restorable") == 0
                     ? "not-restorable" : json_object_get_string_member (osi_test_response_object (r), "verdict"));
  return json_object_ref (verified);
}

/* Each way a backup comes to be is its kind; a verification is recorded
 * with its verdict; what the catalog does not know is not written. */
static void
test_kinds_and_verified (Fixture       *f,
                         gconstpointer  user_data)
{
  g_autofree char *made = NULL;
  g_autofree char *safety = NULL;
  g_autofree char *kb = g_build_filename (f->tmp, "kb.json", NULL);

  put_archive (f, "by-hand_20250101.tar.zst");
  start (f);

  made = create_backup (f);
  safety = restore_by_hand (f);
  {
    g_autoptr(GBytes) bytes = g_bytes_new_static (osi_test_valid_rag (), strlen (osi_test_valid_rag ()));
    g_autoptr(OsiTestResponse) r = request_bytes (f, "POST", "/api/rag/backup/upload?filename=kb_20250101.json", bytes);

    osi_test_response_assert_status (r, SOUP_STATUS_CREATED);
  }

  {
    g_autoptr(JsonObject) by_hand = find_entry (f, "by-hand_20250101.tar.zst");
    g_autoptr(JsonObject) created = find_entry (f, made);
    g_autoptr(JsonObject) safe = find_entry (f, safety);
    g_autoptr(JsonObject) uploaded = find_entry (f, "kb_20250101.json");

    g_assert_null (kind_of (by_hand));
    g_assert_cmpstr (kind_of (created), ==, "manual");
    g_assert_cmpstr (kind_of (safe), ==, "safety");
    g_assert_cmpstr (kind_of (uploaded), ==, "upload");
    /* unprotected ("protected" only when true), no note, never verified */
    for (JsonObject *entries[] = { by_hand, created, safe, uploaded, NULL }, **e = entries; *e != NULL; e++)
      {
        g_assert_false (json_object_has_member (*e, "protected"));
        g_assert_false (json_object_has_member (*e, "note"));
        g_assert_false (json_object_has_member (*e, "verified"));
      }
  }

  {
    g_autoptr(JsonObject) verified = verify (f, made);

    g_assert_cmpstr (json_object_get_string_member (verified, "verdict"), ==, "restorable");
  }
  {
    g_autoptr(JsonObject) verified = verify (f, "kb_20250101.json");

    g_assert_cmpstr (json_object_get_string_member (verified, "verdict"), ==, "unproven");
  }
  /* A backup altered on disk: not restorable, and said so in the list. */
  {
    g_autofree char *path = backup_path (f, "by-hand_20250101.tar.zst");
    g_autofree char *contents = NULL;
    gsize len;

    g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
    contents[len / 2] ^= 0x5a;
    g_assert_true (g_file_set_contents (path, contents, len, NULL));
  }
  {
    g_autoptr(JsonObject) verified = verify (f, "by-hand_20250101.tar.zst");

    g_assert_cmpstr (json_object_get_string_member (verified, "verdict"), ==, "not-restorable");
  }

  /* All of it outlives the server. */
  stop (f);
  start (f);
  {
    g_autoptr(JsonObject) created = find_entry (f, made);
    g_autoptr(JsonObject) uploaded = find_entry (f, "kb_20250101.json");

    g_assert_cmpstr (kind_of (created), ==, "manual");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (created, "verified"), "verdict"),
                     ==, "restorable");
    g_assert_cmpstr (kind_of (uploaded), ==, "upload");
  }
}

/* ------------------------------------------------------------------------ */
/* PATCH and DELETE                                                         */

static OsiTestResponse *
patch (Fixture    *f,
       const char *name,
       const char *body)
{
  g_autofree char *query = g_strconcat ("/api/rag/backup?filename=", name, NULL);

  return request (f, "PATCH", query, body);
}

static OsiTestResponse *
delete_backup (Fixture    *f,
               const char *name)
{
  g_autofree char *query = g_strconcat ("/api/rag/backup?filename=", name, NULL);

  return request (f, "DELETE", query, NULL);
}

/* The answer to a PATCH is the backup's list entry. */
static void
assert_same_as_listed (Fixture         *f,
                       const char      *name,
                       OsiTestResponse *r)
{
  g_autoptr(JsonObject) listed = find_entry (f, name);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), listed);

  g_assert_true (json_node_equal (node, r->json));
}

static void
test_patch (Fixture       *f,
            gconstpointer  user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *long_note = g_strnfill (501, 'n');
  g_autofree char *long_note_body = g_strdup_printf ("{\"note\": \"%s\"}", long_note);
  g_autofree char *longest_note_body = g_strdup_printf ("{\"note\": \"%.*s\"}", 500, long_note);
  /* 500 characters, not bytes */
  g_autoptr(GString) accents = g_string_new ("{\"note\": \"");
  static const char * const refused[] = {
    "{}",
    "[]",
    "\"protected\"",
    "not json",
    "{\"protected\": \"yes\"}",
    "{\"protected\": 1}",
    "{\"protected\": null}",
    "{\"note\": 42}",
    "{\"note\": null}",
    "{\"note\": [\"a\"]}",
    "{\"note\": \"a\\rb\"}",
    "{\"protected\": true, \"kind\": \"manual\"}",
    "{\"name\": \"other.tar.zst\"}",
  };

  start (f);
  name = create_backup (f);

  {
    g_autoptr(OsiTestResponse) r = patch (f, name, "{\"protected\": true}");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpstr (json_object_get_string_member (osi_test_response_object (r), "name"), ==, name);
    g_assert_true (json_object_get_boolean_member (osi_test_response_object (r), "protected"));
    g_assert_cmpstr (kind_of (osi_test_response_object (r)), ==, "manual");
    g_assert_false (json_object_has_member (osi_test_response_object (r), "note"));
    assert_same_as_listed (f, name, r);
  }
  {
    g_autoptr(OsiTestResponse) r = patch (f, name, "{\"note\": \"Avant la migration\\nde mars\"}");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_true (json_object_get_boolean_member (osi_test_response_object (r), "protected"));
    g_assert_cmpstr (json_object_get_string_member (osi_test_response_object (r), "note"), ==, "Avant la migration\nde mars");
    assert_same_as_listed (f, name, r);
  }
  {
    g_autoptr(OsiTestResponse) r = patch (f, name, longest_note_body);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  for (guint i = 0; i < 500; i++)
    g_string_append (accents, "é");
  g_string_append (accents, "\"}");
  {
    g_autoptr(OsiTestResponse) r = patch (f, name, accents->str);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }

  /* Refused: the backup unchanged. */
  {
    g_autoptr(OsiTestResponse) r = patch (f, name, long_note_body);

    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(OsiTestResponse) r = patch (f, name, refused[i]);

      if (r->status != SOUP_STATUS_BAD_REQUEST)
        g_error ("PATCH %s: %u", refused[i], r->status);
      assert_error (r, SOUP_STATUS_BAD_REQUEST);
    }
  {
    g_autoptr(OsiTestResponse) r = patch (f, name, NULL);

    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(JsonObject) entry = find_entry (f, name);
    const char *note = json_object_get_string_member (entry, "note");

    g_assert_true (json_object_get_boolean_member (entry, "protected"));
    g_assert_cmpint (g_utf8_strlen (note, -1), ==, 500);
    g_assert_true (g_str_has_prefix (note, "é"));
  }

  /* Names: unknown, invalid, missing. */
  {
    g_autoptr(OsiTestResponse) r = patch (f, "missing_20250101.tar.zst", "{\"protected\": true}");

    assert_error (r, SOUP_STATUS_NOT_FOUND);
  }
  {
    g_autoptr(OsiTestResponse) r = patch (f, "..%2Fbackups%2Fx.tar.zst", "{\"protected\": true}");

    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "PATCH", "/api/rag/backup", "{\"protected\": true}");

    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }

  /* Both at once; an empty note removes it. */
  {
    g_autoptr(OsiTestResponse) r = patch (f, name, "{\"protected\": false, \"note\": \"\"}");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_false (json_object_has_member (osi_test_response_object (r), "protected"));
    g_assert_false (json_object_has_member (osi_test_response_object (r), "note"));
    assert_same_as_listed (f, name, r);
  }
}

/* DELETE of a protected backup: 409, saying so and how to unprotect it;
 * once unprotected, deleted. */
static void
test_delete_protected (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  start (f);
  name = create_backup (f);
  path = backup_path (f, name);
  {
    g_autoptr(OsiTestResponse) r = patch (f, name, "{\"protected\": true}");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  {
    g_autoptr(OsiTestResponse) r = delete_backup (f, name);
    const char *detail = assert_error (r, SOUP_STATUS_CONFLICT);

    g_assert_nonnull (strstr (detail, "protected"));
    g_assert_nonnull (strstr (detail, "osi-backup-cli unprotect"));
    g_assert_nonnull (strstr (detail, name));
  }
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  {
    g_autoptr(OsiTestResponse) r = patch (f, name, "{\"protected\": false}");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  {
    g_autoptr(OsiTestResponse) r = delete_backup (f, name);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* What the server acknowledged survives its SIGKILL: the catalog is
 * crash-safe (and a protection is what guards a backup from prune). */
static void
test_survives_sigkill (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autofree char *name = NULL;

  start (f);
  name = create_backup (f);
  {
    g_autoptr(OsiTestResponse) r = patch (f, name, "{\"protected\": true, \"note\": \"garder\"}");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  osi_test_server_kill (f->server);
  g_clear_pointer (&f->server, osi_test_server_free);

  start (f);
  {
    g_autoptr(JsonObject) entry = find_entry (f, name);

    g_assert_true (json_object_get_boolean_member (entry, "protected"));
    g_assert_cmpstr (json_object_get_string_member (entry, "note"), ==, "garder");
    g_assert_cmpstr (kind_of (entry), ==, "manual");
  }
  {
    g_autoptr(OsiTestResponse) r = delete_backup (f, name);

    assert_error (r, SOUP_STATUS_CONFLICT);
  }
}

/* ------------------------------------------------------------------------ */
/* GET and PUT /api/rag/backup/policy                                       */

static OsiTestResponse *
get_policy (Fixture *f)
{
  OsiTestResponse *r = request (f, "GET", "/api/rag/backup/policy", NULL);

  osi_test_response_assert_status (r, SOUP_STATUS_OK);
  return r;
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonObject *member = json_object_get_object_member (object, name);

  g_assert_nonnull (member);
  return member;
}

static void
test_policy_default (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(OsiTestResponse) r = NULL;
  JsonObject *policy, *schedule, *retention;

  start (f);
  r = get_policy (f);
  policy = osi_test_response_object (r);
  schedule = member_object (policy, "schedule");
  retention = member_object (policy, "retention");
  g_assert_cmpstr (json_object_get_string_member (schedule, "every"), ==, "off");
  g_assert_cmpstr (json_object_get_string_member (schedule, "at"), ==, "02:30");
  g_assert_nonnull (json_object_get_string_member (schedule, "time_zone"));
  g_assert_cmpint (json_object_get_int_member (retention, "keep_last"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (retention, "keep_daily"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (retention, "keep_weekly"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (retention, "keep_monthly"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (member_object (policy, "verify"), "every"), ==, "off");
  g_assert_true (json_object_get_null_member (policy, "next_backup"));
  g_assert_true (json_object_get_null_member (policy, "next_verify"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (policy, "last_runs")), ==, 0);
}

#define DAILY_POLICY \
  "{\"schedule\": {\"every\": \"daily\", \"at\": \"03:15\", \"time_zone\": \"Europe/Paris\"}," \
  " \"retention\": {\"keep_last\": 5, \"keep_daily\": 7}, \"verify\": {\"every\": \"weekly\"}}"

static void
assert_daily_policy (JsonObject *policy)
{
  JsonObject *schedule = member_object (policy, "schedule");
  JsonObject *retention = member_object (policy, "retention");

  g_assert_cmpstr (json_object_get_string_member (schedule, "every"), ==, "daily");
  g_assert_cmpstr (json_object_get_string_member (schedule, "at"), ==, "03:15");
  g_assert_cmpstr (json_object_get_string_member (schedule, "time_zone"), ==, "Europe/Paris");
  g_assert_cmpint (json_object_get_int_member (retention, "keep_last"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (retention, "keep_daily"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (retention, "keep_monthly"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (member_object (policy, "verify"), "every"), ==, "weekly");
}

/* The next backup: after now, at 03:15 in Paris. */
static void
assert_next_backup (JsonObject *policy)
{
  const char *text = json_object_get_string_member (policy, "next_backup");
  g_autoptr(GDateTime) next = g_date_time_new_from_iso8601 (text, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GTimeZone) paris = g_time_zone_new_identifier ("Europe/Paris");
  g_autoptr(GDateTime) local = NULL;

  g_assert_nonnull (next);
  g_assert_true (g_str_has_suffix (text, "Z"));
  g_assert_cmpint (g_date_time_compare (next, now), >, 0);
  g_assert_cmpint (g_date_time_difference (next, now), <=, G_TIME_SPAN_DAY + G_TIME_SPAN_HOUR);
  local = g_date_time_to_timezone (next, paris);
  g_assert_cmpint (g_date_time_get_hour (local), ==, 3);
  g_assert_cmpint (g_date_time_get_minute (local), ==, 15);
}

static void
test_policy_put (Fixture       *f,
                 gconstpointer  user_data)
{
  static const char * const invalid[] = {
    "{\"retention\": {\"keep_last\": 2}}",
    "{\"retention\": {\"keep_last\": 0}}",
    "{\"retention\": {\"keep_last\": \"3\"}}",
    "{\"retention\": {\"keep_daily\": -1}}",
    "{\"retention\": 5}",
    "{\"schedule\": {\"every\": \"hourly\"}}",
    "{\"schedule\": {\"at\": \"25:00\"}}",
    "{\"schedule\": {\"at\": \"3:15\"}}",
    "{\"schedule\": {\"weekday\": 8}}",
    "{\"schedule\": {\"day\": 29}}",
    "{\"schedule\": {\"time_zone\": \"Mars/Olympus_Mons\"}}",
    "{\"verify\": {\"every\": \"monthly\"}}",
    "[]",
    "not json",
  };

  start (f);
  {
    g_autoptr(OsiTestResponse) r = request (f, "PUT", "/api/rag/backup/policy", DAILY_POLICY);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    assert_daily_policy (osi_test_response_object (r));
  }
  {
    g_autoptr(OsiTestResponse) r = get_policy (f);

    assert_daily_policy (osi_test_response_object (r));
    assert_next_backup (osi_test_response_object (r));
  }

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(OsiTestResponse) r = request (f, "PUT", "/api/rag/backup/policy", invalid[i]);
      g_autoptr(OsiTestResponse) after = NULL;

      if (r->status != SOUP_STATUS_BAD_REQUEST)
        g_error ("PUT %s: %u", invalid[i], r->status);
      assert_error (r, SOUP_STATUS_BAD_REQUEST);
      after = get_policy (f);
      assert_daily_policy (osi_test_response_object (after));
    }
  /* keep_last below 3: the detail names the member */
  {
    g_autoptr(OsiTestResponse) r = request (f, "PUT", "/api/rag/backup/policy", "{\"retention\": {\"keep_last\": 2}}");

    g_assert_nonnull (strstr (assert_error (r, SOUP_STATUS_BAD_REQUEST), "keep_last"));
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "PUT", "/api/rag/backup/policy", NULL);

    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }

  /* What a GET answers can be put back as it is; a member left out keeps
   * its value. */
  {
    g_autoptr(OsiTestResponse) got = get_policy (f);
    g_autofree char *text = json_to_string (got->json, FALSE);
    g_autoptr(OsiTestResponse) r = request (f, "PUT", "/api/rag/backup/policy", text);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    assert_daily_policy (osi_test_response_object (r));
    g_assert_false (json_object_has_member (osi_test_response_object (r), "last_runs"));
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "PUT", "/api/rag/backup/policy", "{\"retention\": {\"keep_weekly\": 4}}");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpint (json_object_get_int_member (member_object (osi_test_response_object (r), "retention"), "keep_weekly"), ==, 4);
    g_assert_cmpint (json_object_get_int_member (member_object (osi_test_response_object (r), "retention"), "keep_last"), ==, 5);
  }

  /* Stored: the same after a restart. */
  stop (f);
  start (f);
  {
    g_autoptr(OsiTestResponse) r = get_policy (f);

    assert_daily_policy (osi_test_response_object (r));
    g_assert_cmpint (json_object_get_int_member (member_object (osi_test_response_object (r), "retention"), "keep_weekly"), ==, 4);
    assert_next_backup (osi_test_response_object (r));
  }
}

/* ------------------------------------------------------------------------ */
/* POST /api/rag/backup/prune                                               */

/* n archives by hand, named and dated a day apart from 2025-01-01 12:00
 * UTC: name i is day i, newest last. */
static void
put_dated_archives (Fixture *f,
                    guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GDateTime) base = g_date_time_new_utc (2025, 1, 1, 12, 0, 0);
      g_autoptr(GDateTime) t = g_date_time_add_days (base, (int)i);
      g_autofree char *name = g_date_time_format (t, "backup_%Y%m%d_%H%M%S.tar.zst");
      g_autofree char *path = backup_path (f, name);

      put_archive (f, name);
      osi_test_set_mtime (path, g_date_time_to_unix (t), 0);
    }
}

static char *
day_name (guint day)
{
  g_autoptr(GDateTime) base = g_date_time_new_utc (2025, 1, 1, 12, 0, 0);
  g_autoptr(GDateTime) t = g_date_time_add_days (base, (int)day);

  return g_date_time_format (t, "backup_%Y%m%d_%H%M%S.tar.zst");
}

/* "name:reason,reason name:reason …" for keep, "name name …" for remove,
 * names shortened to their day of January, in the answer's order. */
static char *
describe (JsonArray *array)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *entry = json_array_get_object_element (array, i);
      const char *name = json_object_get_string_member (entry, "name");

      g_assert_true (g_str_has_prefix (name, "backup_202501"));
      g_string_append_printf (text, "%s%.2s", i > 0 ? " " : "", name + strlen ("backup_202501"));
      if (json_object_has_member (entry, "reasons"))
        {
          JsonArray *reasons = json_object_get_array_member (entry, "reasons");

          for (guint r = 0; r < json_array_get_length (reasons); r++)
            g_string_append_printf (text, "%c%s", r == 0 ? ':' : ',', json_array_get_string_element (reasons, r));
        }
    }
  return g_string_free (text, FALSE);
}

static guint
count_backups (Fixture *f)
{
  g_autoptr(OsiTestResponse) r = NULL;

  return json_array_get_length (list_backups (f, &r));
}

static void
test_prune (Fixture       *f,
            gconstpointer  user_data)
{
  static const char * const plan_queries[] = {
    "/api/rag/backup/prune?dry_run=1",
    "/api/rag/backup/prune?dry_run=true",
    "/api/rag/backup/prune?dry_run",
    "/api/rag/backup/prune?dry_run=0&dry_run=yes",
  };
  g_autofree char *oldest = day_name (0);
  g_autofree char *third = day_name (2);

  put_dated_archives (f, 8);
  start (f);
  {
    g_autofree char *query = g_strconcat ("/api/rag/backup?filename=", oldest, NULL);
    g_autoptr(OsiTestResponse) r = request (f, "PATCH", query, "{\"protected\": true}");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "PUT", "/api/rag/backup/policy",
                                     "{\"retention\": {\"keep_last\": 3, \"keep_weekly\": 2},"
                                     " \"schedule\": {\"time_zone\": \"UTC\"}}");

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }

  /* The plan: the 3 newest, the newest of the 2 latest ISO weeks (Monday
   * 2025-01-06 starts the second), the protected one; nothing deleted.
   * The bare name asks for it too, and of two values the last counts. */
  for (guint i = 0; i < G_N_ELEMENTS (plan_queries); i++)
    {
      g_autoptr(OsiTestResponse) r = request (f, "POST", plan_queries[i], NULL);
      g_autofree char *keep = NULL;
      g_autofree char *remove = NULL;

      osi_test_response_assert_status (r, SOUP_STATUS_OK);
      g_assert_true (json_object_get_boolean_member (osi_test_response_object (r), "dry_run"));
      keep = describe (json_object_get_array_member (osi_test_response_object (r), "keep"));
      remove = describe (json_object_get_array_member (osi_test_response_object (r), "remove"));
      g_assert_cmpstr (keep, ==, "08:last,weekly 07:last 06:last 05:weekly 01:protected");
      g_assert_cmpstr (remove, ==, "04 03 02");
      g_assert_false (json_object_has_member (osi_test_response_object (r), "detail"));
      g_assert_cmpuint (count_backups (f), ==, 8);
    }
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/prune?dry_run=maybe", NULL);

    assert_error (r, SOUP_STATUS_BAD_REQUEST);
  }
  {
    g_autoptr(OsiTestResponse) r = get_policy (f);

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (osi_test_response_object (r), "last_runs")), ==, 0);
  }

  /* Applied: the same plan, the remove list deleted, a run recorded. */
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/prune", NULL);
    g_autofree char *keep = NULL;
    g_autofree char *remove = NULL;

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_false (json_object_get_boolean_member (osi_test_response_object (r), "dry_run"));
    keep = describe (json_object_get_array_member (osi_test_response_object (r), "keep"));
    remove = describe (json_object_get_array_member (osi_test_response_object (r), "remove"));
    g_assert_cmpstr (keep, ==, "08:last,weekly 07:last 06:last 05:weekly 01:protected");
    g_assert_cmpstr (remove, ==, "04 03 02");
    g_assert_false (json_object_has_member (osi_test_response_object (r), "detail"));
  }
  g_assert_cmpuint (count_backups (f), ==, 5);
  {
    g_autofree char *path = backup_path (f, third);
    g_autofree char *side = g_strdup_printf ("%s/.%s.sha256", f->backups, third);
    g_autofree char *kept = backup_path (f, oldest);

    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (side, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (kept, G_FILE_TEST_EXISTS));
  }
  {
    g_autoptr(OsiTestResponse) r = get_policy (f);
    JsonArray *runs = json_object_get_array_member (osi_test_response_object (r), "last_runs");
    JsonObject *run;

    g_assert_cmpuint (json_array_get_length (runs), ==, 1);
    run = json_array_get_object_element (runs, 0);
    g_assert_cmpstr (json_object_get_string_member (run, "kind"), ==, "prune");
    g_assert_true (json_object_get_boolean_member (run, "ok"));
    g_assert_nonnull (json_object_get_string_member (run, "at"));
    g_assert_nonnull (strstr (json_object_get_string_member (run, "detail"), "3"));
  }
  /* Again: nothing more to remove. */
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/prune", NULL);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (osi_test_response_object (r), "remove")), ==, 0);
  }
  g_assert_cmpuint (count_backups (f), ==, 5);
}

static void
wait_for_file (const char *path)
{
  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    g_usleep (10000);
}

/* During a restore (until its --on-restore command ends) a prune is
 * refused, its plan still answered. */
static void
test_prune_during_restore (Fixture       *f,
                           gconstpointer  user_data)
{
  g_autofree char *started = g_build_filename (f->tmp, "hook-started", NULL);
  g_autofree char *release = g_build_filename (f->tmp, "hook-release", NULL);
  g_autofree char *q_started = g_shell_quote (started);
  g_autofree char *q_release = g_shell_quote (release);
  g_autofree char *hook = g_strdup_printf ("touch %s; while [ ! -e %s ]; do sleep 0.02; done", q_started, q_release);
  g_autofree char *first = day_name (0);
  g_autofree char *body = g_strdup_printf ("{\"backupFile\": \"%s\"}", first);
  guint status = SOUP_STATUS_CONFLICT;

  put_dated_archives (f, 5);
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, TOKEN, "--on-restore", hook, NULL);
  f->url = g_strdup (f->server->url);
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/restore", body);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    wait_listed_as_safety (f, json_object_get_string_member (osi_test_response_object (r), "safety_backup"));
  }
  wait_for_file (started);
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/prune", NULL);

    assert_error (r, SOUP_STATUS_CONFLICT);
  }
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/prune?dry_run=1", NULL);

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    /* 5 and the safety backup; keep_last 3 */
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (osi_test_response_object (r), "remove")), ==, 3);
  }
  g_assert_cmpuint (count_backups (f), ==, 6);

  g_assert_true (g_file_set_contents (release, "", -1, NULL));
  while (status == SOUP_STATUS_CONFLICT)
    {
      g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/prune", NULL);

      status = r->status;
      if (status == SOUP_STATUS_CONFLICT)
        g_usleep (20000);
    }
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (count_backups (f), ==, 3);
}

/* ------------------------------------------------------------------------ */
/* In this process                                                          */

/* An OsiServer of this process over the fixture's folders, with clock
 * (NULL: the system's) and on_restore (NULL: none), not listening. */
static OsiServer *
server_in_process (Fixture    *f,
                   OsiClock   *clock,
                   const char *on_restore)
{
  g_autoptr(GError) error = NULL;
  OsiServerOptions options = { 0 };
  OsiServer *server;

  options.data_dir = f->data;
  options.backup_dir = f->backups;
  options.token = (char *)TOKEN;
  options.max_upload = G_MAXUINT32;
  options.clock = clock;
  options.on_restore = (char *)on_restore;
  server = osi_server_new (&options, &error);
  g_assert_no_error (error);
  return server;
}

static gboolean
task_arrived (gpointer data)
{
  return *(GAsyncResult **)data != NULL;
}

static void
server_shutdown (OsiServer *server)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  osi_server_shutdown_async (server, osi_test_store_result, &result);
  osi_test_wait_for (task_arrived, &result, "the server's shutdown");
  g_assert_true (osi_server_shutdown_finish (server, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_finalize_object (server);
}

static gboolean
server_idle (gpointer data)
{
  return osi_server_is_idle (data);
}

/* Waits for what the clock set off (a backup, a verification pass) to
 * end. */
static void
wait_idle (Fixture *f)
{
  osi_test_wait_for (server_idle, f->in_process, "the server's work");
}

/* A server of this process under the fixture's manual clock, listening
 * on 127.0.0.1 port 0; what it does at start (a missed backup) is waited
 * for. */
static void
start_in_process (Fixture    *f,
                  const char *on_restore)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (f->in_process);
  g_assert_nonnull (f->clock);
  f->in_process = server_in_process (f, f->clock, on_restore);
  g_assert_true (osi_server_listen (f->in_process, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  f->url = osi_server_get_url (f->in_process);
  wait_idle (f);
}

static void
stop_in_process (Fixture *f)
{
  server_shutdown (g_steal_pointer (&f->in_process));
  g_clear_pointer (&f->url, g_free);
}

static GDateTime *
utc (const char *iso)
{
  GDateTime *date = g_date_time_new_from_iso8601 (iso, NULL);

  g_assert_nonnull (date);
  return date;
}

/* Moves the clock to `to`, an hour at a time, each time waiting for what
 * it set off: each alarm's work ends before the clock moves on, as it
 * would in an hour of real time. */
static void
advance_hourly (Fixture    *f,
                const char *to_iso)
{
  g_autoptr(GDateTime) to = utc (to_iso);

  for (;;)
    {
      g_autoptr(GDateTime) now = osi_clock_now (f->clock);
      g_autoptr(GDateTime) step = g_date_time_add_hours (now, 1);

      if (g_date_time_compare (now, to) >= 0)
        break;
      osi_clock_advance_to (f->clock, g_date_time_compare (step, to) < 0 ? step : to);
      wait_idle (f);
    }
}

/* Exactly to `to`, without waiting. */
static void
advance_to (Fixture    *f,
            const char *to_iso)
{
  g_autoptr(GDateTime) to = utc (to_iso);

  osi_clock_advance_to (f->clock, to);
}

static void
put_policy (Fixture    *f,
            const char *policy)
{
  g_autoptr(OsiTestResponse) r = request (f, "PUT", "/api/rag/backup/policy", policy);

  osi_test_response_assert_status (r, SOUP_STATUS_OK);
}

/* The names of the backups listed, newest first, with their kind:
 * "NAME:KIND NAME:KIND". */
static char *
listed (Fixture *f)
{
  g_autoptr(OsiTestResponse) r = NULL;
  JsonArray *backups = list_backups (f, &r);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (backups); i++)
    {
      JsonObject *entry = json_array_get_object_element (backups, i);

      g_string_append_printf (text, "%s%s:%s", i > 0 ? " " : "", json_object_get_string_member (entry, "name"),
                              json_object_get_string_member_with_default (entry, "kind", "-"));
    }
  return g_string_free (text, FALSE);
}

/* The `at` of the runs of kind in the log (the 20 latest), oldest first,
 * space-separated, each checked ok. */
static char *
runs_of (Fixture    *f,
         const char *kind)
{
  g_autoptr(OsiTestResponse) r = get_policy (f);
  JsonArray *runs = json_object_get_array_member (osi_test_response_object (r), "last_runs");
  GString *text = g_string_new (NULL);

  for (guint i = json_array_get_length (runs); i-- > 0;)
    {
      JsonObject *run = json_array_get_object_element (runs, i);

      if (g_strcmp0 (json_object_get_string_member (run, "kind"), kind) != 0)
        continue;
      if (!json_object_get_boolean_member (run, "ok"))
        g_error ("a %s run failed: %s", kind, json_object_get_string_member (run, "detail"));
      g_string_append_printf (text, "%s%s", text->len > 0 ? " " : "", json_object_get_string_member (run, "at"));
    }
  return g_string_free (text, FALSE);
}

static char *
policy_member (Fixture    *f,
               const char *member)
{
  g_autoptr(OsiTestResponse) r = get_policy (f);

  if (json_object_get_null_member (osi_test_response_object (r), member))
    return g_strdup ("null");
  return g_strdup (json_object_get_string_member (osi_test_response_object (r), member));
}

static void
assert_member (Fixture    *f,
               const char *member,
               const char *expected)
{
  g_autofree char *value = policy_member (f, member);

  g_assert_cmpstr (value, ==, expected);
}

static void
assert_runs (Fixture    *f,
             const char *kind,
             const char *expected)
{
  g_autofree char *runs = runs_of (f, kind);

  g_assert_cmpstr (runs, ==, expected);
}

static void
assert_listed (Fixture    *f,
               const char *expected)
{
  g_autofree char *names = listed (f);

  g_assert_cmpstr (names, ==, expected);
}

/* The verdict and time of the latest verification of name, "-" when
 * never verified. */
static char *
verified_of (Fixture    *f,
             const char *name)
{
  g_autoptr(JsonObject) entry = find_entry (f, name);
  JsonObject *verified;

  g_assert_nonnull (entry);
  if (!json_object_has_member (entry, "verified"))
    return g_strdup ("-");
  verified = json_object_get_object_member (entry, "verified");
  return g_strdup_printf ("%s@%s", json_object_get_string_member (verified, "verdict"),
                          json_object_get_string_member (verified, "at"));
}

static void
assert_verified (Fixture    *f,
                 const char *name,
                 const char *expected)
{
  g_autofree char *verified = verified_of (f, name);

  g_assert_cmpstr (verified, ==, expected);
}

#define WEEKLY_POLICY \
  "{\"schedule\": {\"every\": \"weekly\", \"weekday\": 7, \"at\": \"02:30\", \"time_zone\": \"Europe/Paris\"}," \
  " \"retention\": {\"keep_last\": 3}, \"verify\": {\"every\": \"weekly\"}}"

/* Six weeks of a weekly schedule, Sundays at 02:30 in Paris, across the
 * change to summer time (2026-03-29, when 02:30 does not exist and the
 * backup is made at 03:00): a backup on each Sunday at the right
 * instant, named and dated by the clock, kept to the 3 newest but the
 * protected one, a weekly verification pass verifying what was not
 * verified within the week. */
static void
test_scheduler_weeks (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autoptr(GDateTime) start = utc ("2026-03-01T00:00:00Z");

  f->clock = osi_clock_new_manual (start);
  start_in_process (f, NULL);
  assert_member (f, "next_backup", "null");
  put_policy (f, WEEKLY_POLICY);
  assert_member (f, "next_backup", "2026-03-01T01:30:00Z");
  /* never verified: a pass at once */
  assert_member (f, "next_verify", "2026-03-01T00:00:00Z");

  advance_hourly (f, "2026-03-01T02:00:00Z");
  assert_listed (f, "backup_20260301_013000.tar.zst:scheduled");
  {
    g_autoptr(JsonObject) entry = find_entry (f, "backup_20260301_013000.tar.zst");
    g_autoptr(OsiTestResponse) r = request (f, "PATCH", "/api/rag/backup?filename=backup_20260301_013000.tar.zst",
                                     "{\"protected\": true}");

    g_assert_cmpstr (json_object_get_string_member (entry, "date"), ==, "2026-03-01T01:30:00Z");
    osi_test_response_assert_status (r, SOUP_STATUS_OK);
  }
  assert_member (f, "next_backup", "2026-03-08T01:30:00Z");
  assert_member (f, "next_verify", "2026-03-08T00:00:00Z");

  advance_hourly (f, "2026-04-13T00:00:00Z");
  assert_listed (f, "backup_20260412_003000.tar.zst:scheduled backup_20260405_003000.tar.zst:scheduled "
                 "backup_20260329_010000.tar.zst:scheduled backup_20260301_013000.tar.zst:scheduled");
  assert_runs (f, "backup", "2026-03-01T01:30:00Z 2026-03-08T01:30:00Z 2026-03-15T01:30:00Z "
               "2026-03-22T01:30:00Z 2026-03-29T01:00:00Z 2026-04-05T00:30:00Z 2026-04-12T00:30:00Z");
  /* each backup followed by the retention, when it has been made: the
   * clock is then at the end of the hour it was moved by */
  assert_runs (f, "prune", "2026-03-01T02:00:00Z 2026-03-08T02:00:00Z 2026-03-15T02:00:00Z "
               "2026-03-22T02:00:00Z 2026-03-29T01:00:00Z 2026-04-05T01:00:00Z 2026-04-12T01:00:00Z");
  /* 21 runs, of which the log's 20 latest: the first pass's is not */
  assert_runs (f, "verify", "2026-03-08T00:00:00Z 2026-03-15T00:00:00Z 2026-03-22T00:00:00Z "
               "2026-03-29T00:00:00Z 2026-04-05T00:00:00Z 2026-04-12T00:00:00Z");
  assert_verified (f, "backup_20260301_013000.tar.zst", "restorable@2026-04-12T00:00:00Z");
  assert_verified (f, "backup_20260329_010000.tar.zst", "restorable@2026-04-12T00:00:00Z");
  assert_verified (f, "backup_20260405_003000.tar.zst", "restorable@2026-04-12T00:00:00Z");
  assert_verified (f, "backup_20260412_003000.tar.zst", "-");
  assert_member (f, "next_backup", "2026-04-19T00:30:00Z");
  assert_member (f, "next_verify", "2026-04-19T00:00:00Z");

  /* A PUT reschedules at once: daily, from now on. */
  put_policy (f, "{\"schedule\": {\"every\": \"daily\", \"at\": \"06:00\"}, \"verify\": {\"every\": \"off\"}}");
  assert_member (f, "next_backup", "2026-04-13T04:00:00Z");
  assert_member (f, "next_verify", "null");
  put_policy (f, "{\"schedule\": {\"every\": \"off\"}}");
  assert_member (f, "next_backup", "null");
  advance_hourly (f, "2026-04-15T00:00:00Z");
  assert_runs (f, "backup", "2026-03-01T01:30:00Z 2026-03-08T01:30:00Z 2026-03-15T01:30:00Z "
               "2026-03-22T01:30:00Z 2026-03-29T01:00:00Z 2026-04-05T00:30:00Z 2026-04-12T00:30:00Z");
}

#define DAILY_UTC_POLICY \
  "{\"schedule\": {\"every\": \"daily\", \"at\": \"03:00\", \"time_zone\": \"UTC\"}," \
  " \"retention\": {\"keep_last\": 10}}"

/* Backups missed while the server was down: one, at start, whatever the
 * number missed; none when nothing was missed. */
static void
test_scheduler_missed (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autoptr(GDateTime) start = utc ("2026-03-02T12:00:00Z");
  g_autoptr(GDateTime) later = utc ("2026-03-06T12:00:00Z");
  g_autoptr(GDateTime) soon = utc ("2026-03-07T05:00:00Z");

  f->clock = osi_clock_new_manual (start);
  start_in_process (f, NULL);
  put_policy (f, DAILY_UTC_POLICY);
  advance_hourly (f, "2026-03-03T12:00:00Z");
  assert_listed (f, "backup_20260303_030000.tar.zst:scheduled");
  stop_in_process (f);

  /* Down for the runs of the 4th, 5th and 6th: one backup at start. */
  g_clear_object (&f->clock);
  f->clock = osi_clock_new_manual (later);
  start_in_process (f, NULL);
  assert_listed (f, "backup_20260306_120000.tar.zst:scheduled backup_20260303_030000.tar.zst:scheduled");
  assert_runs (f, "backup", "2026-03-03T03:00:00Z 2026-03-06T12:00:00Z");
  assert_member (f, "next_backup", "2026-03-07T03:00:00Z");
  advance_hourly (f, "2026-03-07T04:00:00Z");
  assert_runs (f, "backup", "2026-03-03T03:00:00Z 2026-03-06T12:00:00Z 2026-03-07T03:00:00Z");
  stop_in_process (f);

  /* Nothing missed: nothing at start. */
  g_clear_object (&f->clock);
  f->clock = osi_clock_new_manual (soon);
  start_in_process (f, NULL);
  assert_runs (f, "backup", "2026-03-03T03:00:00Z 2026-03-06T12:00:00Z 2026-03-07T03:00:00Z");
  assert_listed (f, "backup_20260307_030000.tar.zst:scheduled backup_20260306_120000.tar.zst:scheduled "
                 "backup_20260303_030000.tar.zst:scheduled");
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

/* While a restore runs (until its --on-restore command ends) no scheduled
 * backup is made, it is tried again a minute later, and the verification
 * waits; then both run, once. */
static void
test_scheduler_waits_for_restore (Fixture       *f,
                                  gconstpointer  user_data)
{
  g_autofree char *started = g_build_filename (f->tmp, "hook-started", NULL);
  g_autofree char *release = g_build_filename (f->tmp, "hook-release", NULL);
  g_autofree char *q_started = g_shell_quote (started);
  g_autofree char *q_release = g_shell_quote (release);
  /* It ends with the test, should the test fail first. */
  g_autofree char *hook = g_strdup_printf ("touch %s; while [ ! -e %s ] && kill -0 $PPID; do sleep 0.02; done",
                                           q_started, q_release);
  g_autoptr(GDateTime) start = utc ("2026-03-02T02:00:00Z");

  put_archive (f, "by-hand_20250101.tar.zst");
  f->clock = osi_clock_new_manual (start);
  start_in_process (f, hook);
  put_policy (f, "{\"schedule\": {\"every\": \"daily\", \"at\": \"03:00\", \"time_zone\": \"UTC\"},"
                 " \"retention\": {\"keep_last\": 10}, \"verify\": {\"every\": \"daily\"}}");
  {
    g_autofree char *safety = restore_by_hand (f);

    g_assert_cmpstr (safety, ==, "backup_20260302_020000_safety.tar.zst");
  }
  osi_test_wait_for (file_exists, started, "the --on-restore command");

  /* The verification falls due (02:00), then the backup (03:00), tried
   * again a minute later, and again. */
  advance_to (f, "2026-03-02T03:00:30Z");
  assert_member (f, "next_backup", "2026-03-02T03:01:00Z");
  advance_to (f, "2026-03-02T03:01:30Z");
  assert_member (f, "next_backup", "2026-03-02T03:02:00Z");
  assert_listed (f, "by-hand_20250101.tar.zst:- backup_20260302_020000_safety.tar.zst:safety");
  assert_verified (f, "by-hand_20250101.tar.zst", "-");
  assert_verified (f, "backup_20260302_020000_safety.tar.zst", "-");
  assert_runs (f, "verify", "");

  /* The restore ends: the verification goes on at once. */
  g_assert_true (g_file_set_contents (release, "", -1, NULL));
  wait_idle (f);
  assert_verified (f, "by-hand_20250101.tar.zst", "restorable@2026-03-02T03:01:30Z");
  assert_verified (f, "backup_20260302_020000_safety.tar.zst", "restorable@2026-03-02T03:01:30Z");
  assert_runs (f, "verify", "2026-03-02T02:00:00Z");
  assert_runs (f, "backup", "");

  /* The backup at its next try, once. */
  advance_to (f, "2026-03-02T03:02:30Z");
  wait_idle (f);
  assert_runs (f, "backup", "2026-03-02T03:02:00Z");
  assert_listed (f, "by-hand_20250101.tar.zst:- backup_20260302_030200.tar.zst:scheduled "
                 "backup_20260302_020000_safety.tar.zst:safety");
  assert_member (f, "next_backup", "2026-03-03T03:00:00Z");
  advance_hourly (f, "2026-03-03T04:00:00Z");
  assert_runs (f, "backup", "2026-03-02T03:02:00Z 2026-03-03T03:00:00Z");
}

/* The newest run of kind in the log: whether it went well, and its
 * detail. */
static char *
newest_run (Fixture    *f,
            const char *kind,
            gboolean   *ok)
{
  g_autoptr(OsiTestResponse) r = get_policy (f);
  JsonArray *runs = json_object_get_array_member (osi_test_response_object (r), "last_runs");

  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);

      if (g_strcmp0 (json_object_get_string_member (run, "kind"), kind) != 0)
        continue;
      *ok = json_object_get_boolean_member (run, "ok");
      return g_strdup (json_object_get_string_member (run, "detail"));
    }
  g_error ("no %s run in the log", kind);
}

/* detail: NULL for any. */
static void
assert_newest_run (Fixture    *f,
                   const char *kind,
                   gboolean    ok,
                   const char *detail)
{
  gboolean run_ok;
  g_autofree char *run_detail = newest_run (f, kind, &run_ok);

  if (detail != NULL)
    g_assert_cmpstr (run_detail, ==, detail);
  g_assert_cmpint (run_ok, ==, ok);
}

static char *
note_of (Fixture    *f,
         const char *name)
{
  g_autoptr(JsonObject) entry = find_entry (f, name);

  g_assert_nonnull (entry);
  return g_strdup (json_object_get_string_member_with_default (entry, "note", "-"));
}

/* The newest backup, which a verification pass verifies first: big
 * enough that it is still being verified when the restore, asked for as
 * the pass begins, arrives (a tenth of its verification's time, at most,
 * here); should it not be, the test fails, saying so. */
#define BIG_DATA_SIZE (80 * 1024 * 1024)

static gboolean
paused (gpointer data)
{
  return g_atomic_int_get (&n_paused) > 0;
}

/* The verdicts of names: "-" for each not verified, else the verdict and
 * time, space-separated. */
static char *
verdicts_of (Fixture            *f,
             const char * const *names)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *verified = verified_of (f, names[i]);

      g_string_append_printf (text, "%s%s", i > 0 ? " " : "", verified);
    }
  return g_string_free (text, FALSE);
}

static void
assert_verdicts (Fixture            *f,
                 const char * const *names,
                 const char         *expected)
{
  g_autofree char *verdicts = verdicts_of (f, names);

  g_assert_cmpstr (verdicts, ==, expected);
}

/* A restore that begins while the verification pass verifies a backup
 * stops that verification (docs/api.md §6.6), which records nothing;
 * none runs while the restore and its --on-restore command run; the
 * restore succeeds; once it has ended, the pass goes on with what it had
 * left, the backup interrupted first, and records one run, each backup
 * counted once. The restore's safety backup, made during the pass, is
 * verified by the next pass. */
static void
test_scheduler_restore_stops_verification (Fixture       *f,
                                           gconstpointer  user_data)
{
  static const char * const pass[] = {
    "backup_20260301_020000.tar.zst",   /* the big one, verified first */
    "backup_20260301_010000.tar.zst",
    "by-hand_20250101.tar.zst",         /* the one restored */
    NULL,
  };
  g_autofree char *started = g_build_filename (f->tmp, "hook-started", NULL);
  g_autofree char *release = g_build_filename (f->tmp, "hook-release", NULL);
  g_autofree char *q_started = g_shell_quote (started);
  g_autofree char *q_release = g_shell_quote (release);
  /* It ends with the test, should the test fail first. */
  g_autofree char *hook = g_strdup_printf ("touch %s; while [ ! -e %s ] && kill -0 $PPID; do sleep 0.02; done",
                                           q_started, q_release);
  g_autofree char *big = g_build_filename (f->tmp, "big", NULL);
  g_autofree char *big_path = backup_path (f, pass[0]);
  g_autoptr(GDateTime) start = utc ("2026-03-02T12:00:00Z");
  g_autoptr(GError) error = NULL;

  g_assert_true (osi_demo_data_generate (big, BIG_DATA_SIZE, 2, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (osi_archive_create (big, big_path, OSI_COMPRESSION_ZSTD, NULL, NULL, &error));
  g_assert_no_error (error);
  osi_test_remove_tmpdir (big);
  for (guint i = 1; pass[i] != NULL; i++)
    put_archive (f, pass[i]);
  /* dated as named, the one restored a week before the pass */
  for (guint i = 0; pass[i] != NULL; i++)
    {
      static const char * const dates[] = { "2026-03-01T02:00:00Z", "2026-03-01T01:00:00Z", "2026-02-23T12:00:00Z" };
      g_autofree char *path = backup_path (f, pass[i]);
      g_autoptr(GDateTime) date = utc (dates[i]);

      osi_test_set_mtime (path, g_date_time_to_unix (date), 0);
    }

  f->clock = osi_clock_new_manual (start);
  start_in_process (f, hook);
  put_policy (f, "{\"verify\": {\"every\": \"daily\"}}");
  assert_member (f, "next_verify", "2026-03-02T12:00:00Z");

  /* The pass begins, verifying the big one; the restore comes at once. */
  g_atomic_int_set (&n_paused, 0);
  advance_to (f, "2026-03-02T12:00:00Z");
  {
    g_autofree char *safety = restore_by_hand (f);

    g_assert_cmpstr (safety, ==, "backup_20260302_120000_safety.tar.zst");
  }
  osi_test_wait_for (file_exists, started, "the --on-restore command");
  /* The verification under way stopped, and recorded nothing: the pass
   * waits. */
  osi_test_wait_for (paused, NULL, "the verification pass to pause for the restore");
  {
    g_autofree char *verdicts = verdicts_of (f, pass);

    if (!g_str_equal (verdicts, "- - -"))
      g_error ("the restore came after the verification of %s had ended (%s): the backup is not big enough, "
               "or a verification went on during the restore", pass[0], verdicts);
  }

  /* None while the restore runs: half an hour later, still none. */
  advance_to (f, "2026-03-02T12:30:00Z");
  assert_verdicts (f, pass, "- - -");
  assert_runs (f, "verify", "");

  /* The restore ends: the pass goes on with what it had left, and ends. */
  advance_to (f, "2026-03-02T13:00:00Z");
  g_assert_true (g_file_set_contents (release, "", -1, NULL));
  wait_idle (f);
  assert_verdicts (f, pass, "restorable@2026-03-02T13:00:00Z restorable@2026-03-02T13:00:00Z "
                   "restorable@2026-03-02T13:00:00Z");
  assert_runs (f, "verify", "2026-03-02T12:00:00Z");
  assert_newest_run (f, "verify", TRUE, "Verified 3 backups: 3 restorable, 0 unproven, 0 not restorable.");
  g_assert_cmpint (g_atomic_int_get (&n_paused), ==, 1);
  assert_listed (f, "backup_20260302_120000_safety.tar.zst:safety backup_20260301_020000.tar.zst:- "
                 "backup_20260301_010000.tar.zst:- by-hand_20250101.tar.zst:-");
  assert_verified (f, "backup_20260302_120000_safety.tar.zst", "-");

  /* The next pass, a day after this one began: the safety backup, and
   * what this one verified a day ago or more (nothing: at 13:00). */
  assert_member (f, "next_verify", "2026-03-03T12:00:00Z");
  advance_hourly (f, "2026-03-03T12:30:00Z");
  assert_verified (f, "backup_20260302_120000_safety.tar.zst", "restorable@2026-03-03T12:00:00Z");
  assert_verdicts (f, pass, "restorable@2026-03-02T13:00:00Z restorable@2026-03-02T13:00:00Z "
                   "restorable@2026-03-02T13:00:00Z");
  assert_runs (f, "verify", "2026-03-02T12:00:00Z 2026-03-03T12:00:00Z");
  assert_newest_run (f, "verify", TRUE, "Verified 1 backup: 1 restorable, 0 unproven, 0 not restorable.");
}

/* A prune in which one deletion fails (docs/api.md §6.5), requested and
 * after a scheduled backup: the others are deleted all the same; the
 * answer is a 200 whose remove entry of that backup has the system's
 * reason and whose detail names it; the run is recorded not ok, naming
 * it; the backup stays, listed with what the catalog knows of it, and
 * the records of those deleted are forgotten. Once it can be deleted,
 * the next prune removes it. The server is this process's, which the
 * test's unlinkat () reaches. */
static void
test_prune_deletion_fails (Fixture       *f,
                           gconstpointer  user_data)
{
  g_autoptr(GDateTime) start = utc ("2025-01-06T13:00:00Z");
  g_autofree char *stuck = day_name (2);
  g_autofree char *first = day_name (0);
  g_autofree char *second = day_name (1);
  g_autofree char *failed = g_strdup_printf ("1 backup could not be deleted: %s (%s).", stuck, g_strerror (EBUSY));
  g_autofree char *removed_2 = g_strconcat ("Removed 2 backups, kept 3. ", failed, NULL);
  g_autofree char *removed_1 = g_strconcat ("Removed 1 backup, kept 3. ", failed, NULL);

  put_dated_archives (f, 6);
  f->clock = osi_clock_new_manual (start);
  start_in_process (f, NULL);
  put_policy (f, "{\"schedule\": {\"time_zone\": \"UTC\"}, \"retention\": {\"keep_last\": 3}}");
  {
    g_autoptr(OsiTestResponse) r1 = patch (f, stuck, "{\"note\": \"stuck\"}");
    g_autoptr(OsiTestResponse) r2 = patch (f, second, "{\"note\": \"deleted\"}");

    osi_test_response_assert_status (r1, SOUP_STATUS_OK);
    osi_test_response_assert_status (r2, SOUP_STATUS_OK);
  }
  set_undeletable (stuck);

  /* Requested: 1 and 2 January deleted, 3 January not, and said so. */
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/prune", NULL);
    JsonArray *remove;
    g_autofree char *keep = NULL;
    g_autofree char *removed = NULL;

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    g_assert_false (json_object_get_boolean_member (osi_test_response_object (r), "dry_run"));
    keep = describe (json_object_get_array_member (osi_test_response_object (r), "keep"));
    remove = json_object_get_array_member (osi_test_response_object (r), "remove");
    removed = describe (remove);
    g_assert_cmpstr (keep, ==, "06:last 05:last 04:last");
    g_assert_cmpstr (removed, ==, "03 02 01");
    g_assert_cmpstr (json_object_get_string_member_with_default (json_array_get_object_element (remove, 0), "error",
                                                                 NULL), ==, g_strerror (EBUSY));
    g_assert_false (json_object_has_member (json_array_get_object_element (remove, 1), "error"));
    g_assert_false (json_object_has_member (json_array_get_object_element (remove, 2), "error"));
    g_assert_cmpstr (json_object_get_string_member_with_default (osi_test_response_object (r), "detail", NULL), ==, failed);
  }
  assert_listed (f, "backup_20250106_120000.tar.zst:- backup_20250105_120000.tar.zst:- "
                 "backup_20250104_120000.tar.zst:- backup_20250103_120000.tar.zst:-");
  {
    g_autofree char *note = note_of (f, stuck);

    g_assert_cmpstr (note, ==, "stuck");
  }
  {
    g_autofree char *path = backup_path (f, stuck);
    g_autofree char *deleted = backup_path (f, first);

    g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    g_assert_false (g_file_test (deleted, G_FILE_TEST_EXISTS));
  }
  assert_newest_run (f, "prune", FALSE, removed_2);

  /* The prune after a scheduled backup: the same. */
  put_policy (f, "{\"schedule\": {\"every\": \"daily\", \"at\": \"03:00\"}}");
  advance_hourly (f, "2025-01-07T04:00:00Z");
  assert_listed (f, "backup_20250107_030000.tar.zst:scheduled backup_20250106_120000.tar.zst:- "
                 "backup_20250105_120000.tar.zst:- backup_20250103_120000.tar.zst:-");
  assert_newest_run (f, "backup", TRUE, NULL);
  assert_newest_run (f, "prune", FALSE, removed_1);

  /* It can be deleted again: the next prune removes it. */
  set_undeletable (NULL);
  {
    g_autoptr(OsiTestResponse) r = request (f, "POST", "/api/rag/backup/prune", NULL);
    g_autofree char *removed = NULL;

    osi_test_response_assert_status (r, SOUP_STATUS_OK);
    removed = describe (json_object_get_array_member (osi_test_response_object (r), "remove"));
    g_assert_cmpstr (removed, ==, "03");
    g_assert_false (json_object_has_member (json_array_get_object_element (json_object_get_array_member (osi_test_response_object (r),
                                                                                                          "remove"), 0),
                                            "error"));
    g_assert_false (json_object_has_member (osi_test_response_object (r), "detail"));
  }
  assert_listed (f, "backup_20250107_030000.tar.zst:scheduled backup_20250106_120000.tar.zst:- "
                 "backup_20250105_120000.tar.zst:-");
  assert_newest_run (f, "prune", TRUE, "Removed 1 backup, kept 3.");

  /* The catalog forgot every backup deleted, the stuck one once deleted. */
  stop_in_process (f);
  {
    g_autoptr(OsiCatalog) catalog = open_catalog (f);
    g_autoptr(GHashTable) all = osi_catalog_load_all (catalog, NULL);

    g_assert_nonnull (all);
    g_assert_false (g_hash_table_contains (all, second));
    g_assert_false (g_hash_table_contains (all, stuck));
    g_assert_true (g_hash_table_contains (all, "backup_20250107_030000.tar.zst"));
  }
}

/* A catalog that is not one is moved aside, loudly, and a fresh one
 * started: the server serves on. */
static void
test_catalog_moved_aside (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (f->backups, ".osi-catalog.sqlite", NULL);
  g_autoptr(GDir) dir = NULL;
  const char *entry;
  gboolean found = FALSE;
  OsiServer *server;

  g_assert_true (g_file_set_contents (path, "not a database, not at all, no: just some text", -1, NULL));
  g_test_expect_message ("osi-server", G_LOG_LEVEL_WARNING, "*moved aside*");
  server = server_in_process (f, NULL, NULL);
  g_test_assert_expected_messages ();
  server_shutdown (server);

  dir = g_dir_open (f->backups, 0, NULL);
  while ((entry = g_dir_read_name (dir)) != NULL)
    found |= g_str_has_prefix (entry, ".osi-catalog.sqlite.corrupt-");
  g_assert_true (found);
  {
    g_autoptr(OsiCatalog) catalog = open_catalog (f);
  }
}

int
main (int    argc,
      char **argv)
{
  g_log_set_writer_func (count_pauses, NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();

  g_test_add ("/server-policy/catalog/sidecar-migration", Fixture, NULL, fixture_setup,
              test_sidecar_migration, fixture_teardown);
  g_test_add ("/server-policy/catalog/records-and-forgets", Fixture, NULL, fixture_setup,
              test_catalog_records_and_forgets, fixture_teardown);
  g_test_add ("/server-policy/catalog/deleted-before-recorded", Fixture, NULL, fixture_setup,
              test_catalog_deleted_before_recorded, fixture_teardown);
  g_test_add ("/server-policy/list/kinds-and-verified", Fixture, NULL, fixture_setup,
              test_kinds_and_verified, fixture_teardown);
  g_test_add ("/server-policy/patch", Fixture, NULL, fixture_setup, test_patch, fixture_teardown);
  g_test_add ("/server-policy/delete-protected", Fixture, NULL, fixture_setup,
              test_delete_protected, fixture_teardown);
  g_test_add ("/server-policy/catalog/survives-sigkill", Fixture, NULL, fixture_setup,
              test_survives_sigkill, fixture_teardown);
  g_test_add ("/server-policy/policy/default", Fixture, NULL, fixture_setup, test_policy_default, fixture_teardown);
  g_test_add ("/server-policy/policy/put", Fixture, NULL, fixture_setup, test_policy_put, fixture_teardown);
  g_test_add ("/server-policy/prune", Fixture, NULL, fixture_setup, test_prune, fixture_teardown);
  g_test_add ("/server-policy/prune/during-restore", Fixture, NULL, fixture_setup,
              test_prune_during_restore, fixture_teardown);
  g_test_add ("/server-policy/prune/deletion-fails", Fixture, NULL, fixture_setup,
              test_prune_deletion_fails, fixture_teardown);
  g_test_add ("/server-policy/catalog/moved-aside", Fixture, NULL, fixture_setup,
              test_catalog_moved_aside, fixture_teardown);
  g_test_add ("/server-policy/scheduler/weeks", Fixture, NULL, fixture_setup,
              test_scheduler_weeks, fixture_teardown);
  g_test_add ("/server-policy/scheduler/missed", Fixture, NULL, fixture_setup,
              test_scheduler_missed, fixture_teardown);
  g_test_add ("/server-policy/scheduler/waits-for-restore", Fixture, NULL, fixture_setup,
              test_scheduler_waits_for_restore, fixture_teardown);
  g_test_add ("/server-policy/scheduler/restore-stops-verification", Fixture, NULL, fixture_setup,
              test_scheduler_restore_stops_verification, fixture_teardown);
  return g_test_run ();
}
