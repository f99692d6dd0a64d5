/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <time.h>
#include <utime.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "osi-archive.h"
#include "osi-test-support.h"

/* osi-backup-cli's network commands against a real osi-backup-server, and
 * against the stand-in of the deployed OSI backend (docs/api.md §5,
 * tests/osi-fastapi-backend.py): /cli-network/fastapi/…. */

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  char          *downloads;
  OsiTestServer *server;
  char          *env_server;
  char          *env_token;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, 2 * 1024 * 1024, 3);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  f->downloads = g_build_filename (f->tmp, "downloads", NULL);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (f->downloads, 0700), ==, 0);
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, "s3cret-token", NULL);
  f->env_server = g_strconcat ("OSI_BACKUP_SERVER=", f->server->url, NULL);
  f->env_token = g_strconcat ("OSI_BACKUP_TOKEN=", f->server->token, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_server_finish (f->server);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
  g_free (f->downloads);
  g_free (f->env_server);
  g_free (f->env_token);
}

/* Runs the CLI against the fixture's server, in English. */
static int
cli (Fixture     *f,
     char       **out,
     char       **err,
     const char  *first_arg,
     ...)
{
  const char *env[] = { "LC_ALL=C.UTF-8", "LANGUAGE=", f->env_server, f->env_token, NULL };
  const char *args[12] = { NULL };
  const char *arg;
  guint n = 0;
  va_list ap;

  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL && n < G_N_ELEMENTS (args) - 1; arg = va_arg (ap, const char *))
    args[n++] = arg;
  va_end (ap);

  return osi_test_run_cli (out, err, env, args[0], args[1], args[2], args[3], args[4],
                           args[5], args[6], args[7], args[8], args[9], args[10], NULL);
}

static JsonArray *
list_backups (Fixture     *f,
              JsonParser  *parser)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (cli (f, &out, NULL, "list", "--json", NULL), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "backups");
}

static char *
only_line_token (const char *out,
                 const char *prefix)
{
  const char *start = strstr (out, prefix);
  const char *end;

  g_assert_nonnull (start);
  start += strlen (prefix);
  end = strpbrk (start, " \n");
  return g_strndup (start, end != NULL ? (gsize)(end - start) : strlen (start));
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) parser2 = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *name = NULL;
  g_autofree char *served = NULL;
  g_autofree char *downloaded = NULL;
  g_autofree char *other_dir = g_build_filename (f->tmp, "other", NULL);
  g_autofree char *other_data = NULL;
  g_autofree char *other_archive = g_build_filename (f->tmp, "backup_20250101_120000.tar.zst", NULL);
  g_autofree char *safety = NULL;
  g_autofree char *why = NULL;
  g_autofree char *ref_dir = g_build_filename (f->tmp, "reference", NULL);
  g_autofree char *reference = NULL;
  JsonArray *backups;
  JsonObject *first;

  /* The server's data as it is now, made again from the same seed. */
  g_assert_cmpint (g_mkdir (ref_dir, 0700), ==, 0);
  reference = osi_test_generate_data (ref_dir, 2 * 1024 * 1024, 3);
  if (!osi_test_trees_equal (f->data, reference, &why))
    g_error ("the reference is not the server's data: %s", why);

  backups = list_backups (f, parser);
  g_assert_cmpuint (json_array_get_length (backups), ==, 0);

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, &err, "create", NULL), ==, 0);
  name = only_line_token (out, "Backup created: ");
  served = g_build_filename (f->backups, name, NULL);
  g_assert_true (g_file_test (served, G_FILE_TEST_IS_REGULAR));

  backups = list_backups (f, parser2);
  g_assert_cmpuint (json_array_get_length (backups), ==, 1);
  first = json_array_get_object_element (backups, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "name"), ==, name);
  g_assert_cmpint (json_object_get_int_member (first, "size"), >, 0);

  /* download: byte for byte, nothing half-written left */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "download", name, "-o", f->downloads, NULL), ==, 0);
  downloaded = g_build_filename (f->downloads, name, NULL);
  osi_test_assert_files_equal (served, downloaded);
  {
    g_autofree char *part = g_strconcat (downloaded, ".part", NULL);
    g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  }
  /* an existing file is never replaced */
  g_assert_cmpint (cli (f, NULL, NULL, "download", name, "-o", f->downloads, NULL), ==, 3);

  /* upload a backup of other data, then restore it */
  g_assert_cmpint (g_mkdir (other_dir, 0700), ==, 0);
  other_data = osi_test_generate_data (other_dir, 1024 * 1024, 4);
  osi_test_make_archive (other_data, other_archive, OSI_COMPRESSION_ZSTD, NULL);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "upload", other_archive, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "backup_20250101_120000.tar.zst"));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "restore", "backup_20250101_120000.tar.zst", NULL), ==, 0);
  safety = only_line_token (out, "safety backup ");
  if (g_str_has_suffix (safety, "."))
    safety[strlen (safety) - 1] = '\0';
  if (!osi_test_trees_equal (f->data, other_data, &why))
    g_error ("the restore did not bring the uploaded data: %s", why);

  /* the safety backup, made after the swap, brings the previous data
   * back, file for file */
  osi_test_server_wait_listed (f->server, safety, "safety");
  g_assert_cmpint (cli (f, NULL, NULL, "restore", safety, NULL), ==, 0);
  g_clear_pointer (&why, g_free);
  if (!osi_test_trees_equal (f->data, reference, &why))
    g_error ("the safety backup did not bring the previous data back: %s", why);

  g_assert_cmpint (cli (f, NULL, NULL, "delete", name, NULL), ==, 0);
  g_assert_false (g_file_test (served, G_FILE_TEST_EXISTS));
  g_assert_cmpint (cli (f, NULL, NULL, "delete", name, NULL), ==, 3);
}

static void
test_tampered_upload (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autofree char *archive = g_build_filename (f->tmp, "backup_20250102_080000.tar.gz", NULL);
  g_autofree char *err = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  osi_test_make_archive (f->data, archive, OSI_COMPRESSION_GZIP, NULL);
  g_assert_true (g_file_get_contents (archive, &contents, &len, NULL));
  contents[len / 2] ^= 0x40;
  g_assert_true (g_file_set_contents (archive, contents, len, NULL));

  /* the server's verification refuses it: a verification problem */
  g_assert_cmpint (cli (f, NULL, &err, "upload", archive, NULL), ==, 1);
  g_assert_cmpstr (err, !=, "");
  g_assert_false (g_file_test (archive, G_FILE_TEST_IS_DIR));
  {
    g_autofree char *stored = g_build_filename (f->backups, "backup_20250102_080000.tar.gz", NULL);
    g_assert_false (g_file_test (stored, G_FILE_TEST_EXISTS));
  }
}

static void
test_errors (Fixture       *f,
             gconstpointer  user_data)
{
  const char *wrong_token[] = { "LC_ALL=C.UTF-8", "LANGUAGE=", f->env_server, "OSI_BACKUP_TOKEN=nope", NULL };
  const char *no_server[] = { "LC_ALL=C.UTF-8", "LANGUAGE=", "OSI_BACKUP_SERVER=", NULL };
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *dead_env = NULL;
  g_autofree char *dead_url = g_strdup (f->server->url);

  g_assert_cmpint (osi_test_run_cli (NULL, &err, wrong_token, "list", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "token"));

  g_assert_cmpint (osi_test_run_cli (NULL, NULL, no_server, "list", NULL), ==, 2);
  g_assert_cmpint (cli (f, NULL, NULL, "restore", "../etc", NULL), ==, 2);
  g_assert_cmpint (cli (f, NULL, NULL, "restore", NULL), ==, 2);
  g_assert_cmpint (cli (f, NULL, NULL, "list", "extra", NULL), ==, 2);
  g_assert_cmpint (cli (f, NULL, NULL, "restore", "backup_19990101_000000.tar.zst", NULL), ==, 3);

  /* a server that is gone */
  g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
  dead_env = g_strconcat ("OSI_BACKUP_SERVER=", dead_url, NULL);
  {
    const char *dead[] = { "LC_ALL=C.UTF-8", "LANGUAGE=", dead_env, f->env_token, NULL };

    g_assert_cmpint (osi_test_run_cli (NULL, &err2, dead, "list", NULL), ==, 3);
    g_assert_nonnull (strstr (err2, "Check the connection to the backend server"));
  }
}

/* ------------------------------------------------------------------------ */
/* Against the stand-in of the deployed OSI backend (docs/api.md §5)             */

#define FASTAPI_TOKEN "s3cret-token"

/* 2026-03-29 03:30:00 in Paris (CEST) is 01:30:00Z; 01:30:00 (CET) is
 * 00:30:00Z: both sides of the change to summer time. */
#define AFTER_DST_NAME  "search_backup_20260329_033000.json"
#define BEFORE_DST_NAME "search_backup_20260329_013000.json"

#define MALFORMED_ENTRIES                                                                   \
  "[{\"name\": \"search_backup_nodate.json\", \"path\": \"/srv/search_backup_nodate.json\"},"  \
  " {\"name\": \"search_backup_yesterday.json\", \"date\": \"yesterday\"},"                     \
  " {\"name\": \"../../etc/passwd\", \"path\": \"/etc/passwd\", \"date\": \"2026-03-29T10:00:00\"}," \
  " \"x.json\"]"

static gint64
utc_unix (int hour,
          int minute)
{
  g_autoptr(GDateTime) date = g_date_time_new_utc (2026, 3, 29, hour, minute, 0);

  return g_date_time_to_unix (date);
}

static char *
put_backup (Fixture    *f,
            const char *name,
            gint64      unix_time)
{
  char *path = g_build_filename (f->backups, name, NULL);
  struct utimbuf times = { (time_t)unix_time, (time_t)unix_time };

  g_assert_true (g_file_set_contents (path, osi_test_valid_rag (), -1, NULL));
  g_assert_cmpint (utime (path, &times), ==, 0);
  return path;
}

/* DATA_DIR/rag/search.json, BACKUP_DIR, a download folder, and the
 * stand-in with a token; user_data: the JSON of --extra-entries, or NULL. */
static void
fastapi_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = g_build_filename (f->tmp, "data", NULL);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  f->downloads = g_build_filename (f->tmp, "downloads", NULL);
  g_assert_cmpint (g_mkdir (f->downloads, 0700), ==, 0);
  f->server = osi_test_fastapi_serve (f->data, f->backups, FASTAPI_TOKEN, user_data, NULL);
  f->env_server = g_strconcat ("OSI_BACKUP_SERVER=", f->server->url, NULL);
  f->env_token = g_strconcat ("OSI_BACKUP_TOKEN=", f->server->token, NULL);
}

/* Runs the CLI against the fixture's server, in English, in UTC, with one
 * more variable of the environment (or NULL). */
static int
cli_utc (Fixture     *f,
         const char  *more_env,
         char       **out,
         char       **err,
         const char  *first_arg,
         ...)
{
  const char *env[] = { "LC_ALL=C.UTF-8", "LANGUAGE=", "TZ=UTC", "OSI_BACKUP_SERVER_TIME_ZONE=",
                        f->env_server, f->env_token, more_env, NULL };
  const char *args[8] = { NULL };
  const char *arg;
  guint n = 0;
  va_list ap;

  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    {
      g_assert_cmpuint (n, <, G_N_ELEMENTS (args) - 1);
      args[n++] = arg;
    }
  va_end (ap);

  return osi_test_run_cli (out, err, env, args[0], args[1], args[2], args[3], args[4],
                           args[5], args[6], NULL);
}

/* One line of `list`: date, size, name. */
static char *
list_line (const char *date,
           const char *name)
{
  return g_strdup_printf ("%-16s  %10s  %s\n", date, "?", name);
}

static void
test_fastapi_list (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *after = put_backup (f, AFTER_DST_NAME, utc_unix (1, 30));
  g_autofree char *before = put_backup (f, BEFORE_DST_NAME, utc_unix (0, 30));
  g_autofree char *after_paris = list_line ("29/03/2026 01:30", AFTER_DST_NAME);
  g_autofree char *before_paris = list_line ("29/03/2026 00:30", BEFORE_DST_NAME);
  g_autofree char *after_naive = list_line ("29/03/2026 03:30", AFTER_DST_NAME);
  g_autofree char *before_naive = list_line ("29/03/2026 01:30", BEFORE_DST_NAME);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *backups;
  JsonObject *first;

  /* The server's zone by option, then by variable: the naive Paris
   * times shown in this computer's (UTC) time, newest first. */
  for (guint way = 0; way < 2; way++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int status;

      if (way == 0)
        status = cli_utc (f, NULL, &out, &err, "--server-time-zone", "Europe/Paris", "list", NULL);
      else
        status = cli_utc (f, "OSI_BACKUP_SERVER_TIME_ZONE=Europe/Paris", &out, &err, "list", NULL);
      g_test_message ("list:\n%s%s", out, err);
      g_assert_cmpint (status, ==, 0);
      g_assert_nonnull (strstr (out, after_paris));
      g_assert_nonnull (strstr (out, before_paris));
      g_assert_true (strstr (out, after_paris) < strstr (out, before_paris));
      g_assert_nonnull (strstr (out, "2 backups\n"));
      g_assert_null (strstr (out, "Unknown date"));
    }

  /* Without it, the naive times are this computer's (here UTC): the zone
   * given above was really used. */
  {
    g_autofree char *out = NULL;

    g_assert_cmpint (cli_utc (f, NULL, &out, NULL, "list", NULL), ==, 0);
    g_assert_nonnull (strstr (out, after_naive));
    g_assert_nonnull (strstr (out, before_naive));
  }

  /* JSON: UTC with 'Z', no size, no path. */
  {
    g_autofree char *out = NULL;

    g_assert_cmpint (cli_utc (f, NULL, &out, NULL, "--server-time-zone=Europe/Paris", "list", "--json", NULL),
                     ==, 0);
    json_parser_load_from_data (parser, out, -1, &error);
    g_assert_no_error (error);
    backups = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "backups");
    g_assert_cmpuint (json_array_get_length (backups), ==, 2);
    first = json_array_get_object_element (backups, 0);
    g_assert_cmpstr (json_object_get_string_member (first, "name"), ==, AFTER_DST_NAME);
    g_assert_cmpstr (json_object_get_string_member (first, "date"), ==, "2026-03-29T01:30:00Z");
    g_assert_false (json_object_has_member (first, "size"));
    g_assert_false (json_object_has_member (first, "path"));
  }

  /* An unknown zone is a usage error, by option or by variable. */
  {
    g_autofree char *err = NULL;
    g_autofree char *err2 = NULL;

    g_assert_cmpint (cli_utc (f, NULL, NULL, &err, "--server-time-zone", "Nowhere/Atlantis", "list", NULL), ==, 2);
    g_assert_nonnull (strstr (err, "Nowhere/Atlantis"));
    g_assert_cmpint (cli_utc (f, "OSI_BACKUP_SERVER_TIME_ZONE=Nowhere/Atlantis", NULL, &err2, "list", NULL), ==, 2);
    g_assert_nonnull (strstr (err2, "Nowhere/Atlantis"));
  }
}

/* Bad entries are shown as well as they can be; the list still succeeds. */
static void
test_fastapi_list_malformed (Fixture       *f,
                             gconstpointer  user_data)
{
  g_autofree char *after = put_backup (f, AFTER_DST_NAME, utc_unix (1, 30));
  g_autofree char *after_paris = list_line ("29/03/2026 01:30", AFTER_DST_NAME);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *names[] = { "search_backup_nodate.json", "search_backup_yesterday.json", "x.json" };

  g_assert_cmpint (cli_utc (f, NULL, &out, &err, "--server-time-zone", "Europe/Paris", "list", NULL), ==, 0);
  g_test_message ("list:\n%s%s", out, err);
  g_assert_nonnull (strstr (out, after_paris));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *line = list_line ("Unknown date", names[i]);

      g_assert_nonnull (strstr (out, line));
    }
  /* The odd name's date is good: 10:00 in Paris, 08:00 here. */
  {
    g_autofree char *line = list_line ("29/03/2026 08:00", "../../etc/passwd");

    g_assert_nonnull (strstr (out, line));
  }
  g_assert_nonnull (strstr (out, "The server sent no valid date for this backup."));
  g_assert_nonnull (strstr (out, "cannot be used safely"));
  g_assert_nonnull (strstr (out, "5 backups\n"));
}

/* create, download, verify offline, restore, delete, as against ours. */
static void
test_fastapi_round_trip (Fixture       *f,
                         gconstpointer  user_data)
{
  const char *changed = "{\"autre\": {\"name\": \"autre\"}}\n";
  g_autofree char *kb = g_build_filename (f->data, "rag", "search.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *name = NULL;
  g_autofree char *served = NULL;
  g_autofree char *downloaded = NULL;
  g_autofree char *part = NULL;
  g_autofree char *pre = NULL;
  g_autofree char *pre_path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *said = NULL;

  g_assert_cmpint (cli_utc (f, NULL, &out, &err, "create", NULL), ==, 0);
  g_test_message ("create:\n%s%s", out, err);
  name = only_line_token (out, "Backup created: ");
  g_assert_true (g_regex_match_simple ("^search_backup_[0-9]{8}_[0-9]{6}\\.json$", name, 0, 0));
  served = g_build_filename (f->backups, name, NULL);
  g_assert_true (g_file_test (served, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (strstr (out, "Server: Backup created successfully\n"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli_utc (f, NULL, &out, &err, "download", name, "-o", f->downloads, NULL), ==, 0);
  downloaded = g_build_filename (f->downloads, name, NULL);
  osi_test_assert_files_equal (served, downloaded);
  part = g_strconcat (downloaded, ".part", NULL);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  said = g_strdup_printf ("Downloaded to %s\n", downloaded);
  g_assert_nonnull (strstr (out, said));
  g_assert_cmpint (cli_utc (f, NULL, NULL, NULL, "download", name, "-o", f->downloads, NULL), ==, 3);

  /* docs/api.md §5.3: a downloaded .json is checked offline as a knowledge base
   * (JSON and schema, entry count); without a manifest its verdict stays
   * "integrity unproven". */
  {
    g_autofree char *vout = NULL;
    g_autofree char *verr = NULL;
    g_autofree char *jout = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) error = NULL;
    JsonObject *report;
    int status, jstatus;

    status = cli_utc (f, NULL, &vout, &verr, "verify", downloaded, NULL);
    g_test_message ("verify: exit %d\n%s%s", status, vout, verr);
    g_assert_nonnull (strstr (vout, "Verdict: integrity unproven\n"));
    g_assert_nonnull (strstr (vout, "Knowledge base: 1 entry\n"));
    g_assert_nonnull (strstr (vout, "the structure is valid"));
    /* §4: 0 success, 1 verification found a problem; never a usage or
     * server error for a file that is there. */
    g_assert_true (status == 0 || status == 1);

    jstatus = cli_utc (f, NULL, &jout, NULL, "verify", "--json", downloaded, NULL);
    g_assert_cmpint (jstatus, ==, status);
    json_parser_load_from_data (parser, jout, -1, &error);
    g_assert_no_error (error);
    report = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "unproven");
    g_assert_cmpint (json_object_get_int_member (report, "rag_entries"), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (report, "format"), ==, "json");
    {
      JsonArray *findings = json_object_get_array_member (report, "findings");

      for (guint i = 0; i < json_array_get_length (findings); i++)
        g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (findings, i), "severity"),
                         !=, "error");
    }
  }

  /* restore: the live knowledge base changed since; the service keeps its
   * own safety copy and names none. */
  g_assert_true (g_file_set_contents (kb, changed, -1, NULL));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli_utc (f, NULL, &out, &err, "restore", name, NULL), ==, 0);
  g_test_message ("restore:\n%s%s", out, err);
  g_clear_pointer (&said, g_free);
  said = g_strdup_printf ("Restored %s.", name);
  g_assert_nonnull (strstr (out, said));
  g_assert_null (strstr (out, "goes into the safety backup"));
  g_assert_null (strstr (out, "search_pre_restore_"));
  g_assert_nonnull (strstr (out, "did not name a safety backup"));
  g_assert_nonnull (strstr (out, "restored successfully"));
  osi_test_assert_files_equal (kb, served);
  pre = osi_test_only_entry_with_prefix (f->backups, "search_pre_restore_");
  pre_path = g_build_filename (f->backups, pre, NULL);
  g_assert_true (g_file_get_contents (pre_path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, changed);

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli_utc (f, NULL, &out, NULL, "delete", name, NULL), ==, 0);
  g_clear_pointer (&said, g_free);
  said = g_strdup_printf ("Deleted %s.\n", name);
  g_assert_nonnull (strstr (out, said));
  g_assert_false (g_file_test (served, G_FILE_TEST_EXISTS));
  g_assert_cmpint (cli_utc (f, NULL, NULL, NULL, "delete", name, NULL), ==, 3);
  g_assert_cmpint (cli_utc (f, NULL, NULL, NULL, "restore", name, NULL), ==, 3);
}

static void
test_fastapi_errors (Fixture       *f,
                     gconstpointer  user_data)
{
  const char *wrong_token[] = { "LC_ALL=C.UTF-8", "LANGUAGE=", f->env_server, "OSI_BACKUP_TOKEN=nope", NULL };
  const char *no_token[] = { "LC_ALL=C.UTF-8", "LANGUAGE=", f->env_server, "OSI_BACKUP_TOKEN=", NULL };
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;

  g_assert_cmpint (osi_test_run_cli (NULL, &err, wrong_token, "list", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "token"));
  g_assert_null (strstr (err, "nope"));
  g_assert_cmpint (osi_test_run_cli (NULL, &err2, no_token, "list", NULL), ==, 3);
  g_assert_nonnull (strstr (err2, "token"));
  g_assert_cmpint (osi_test_run_cli (NULL, NULL, wrong_token, "create", NULL), ==, 3);

  /* Nothing was made. */
  {
    GDir *d = g_dir_open (f->backups, 0, NULL);

    g_assert_nonnull (d);
    g_assert_null (g_dir_read_name (d));
    g_dir_close (d);
  }

  /* What this server does not offer: a server error, not "not found". */
  {
    g_autofree char *archive = g_build_filename (f->tmp, "search_backup_20250101_000000.json", NULL);

    g_assert_true (g_file_set_contents (archive, osi_test_valid_rag (), -1, NULL));
    g_assert_cmpint (cli_utc (f, NULL, NULL, &err3, "upload", archive, NULL), ==, 3);
    g_test_message ("upload: %s", err3);
    g_assert_nonnull (strstr (err3, "does not accept backups"));
  }
}

/* docs/api.md §6: against a backend without "policy", prune plans here
 * from the list and deletes through DELETE, never below three backups. */
static void
test_fastapi_prune (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) paths = g_new0 (char *, 7);
  JsonObject *plan;
  JsonArray *keep, *remove;

  /* One a day, 20 to 25 March 2026, at 10:00 UTC. */
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("search_backup_202603%02u_100000.json", 20 + i);
      g_autoptr(GDateTime) date = g_date_time_new_utc (2026, 3, 20 + i, 10, 0, 0);

      paths[i] = put_backup (f, name, g_date_time_to_unix (date));
    }

  /* The defaults keep the three newest; a dry run removes nothing. */
  g_assert_cmpint (cli_utc (f, NULL, &out, &err, "prune", "--dry-run", "--json", NULL), ==, 0);
  g_test_message ("prune --dry-run --json:\n%s%s", out, err);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  plan = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_get_boolean_member (plan, "dry_run"));
  keep = json_object_get_array_member (plan, "keep");
  remove = json_object_get_array_member (plan, "remove");
  g_assert_cmpuint (json_array_get_length (keep), ==, 3);
  g_assert_cmpuint (json_array_get_length (remove), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (keep, 0), "name"), ==,
                   "search_backup_20260325_100000.json");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (json_array_get_object_element (keep, 2),
                                                                                  "reasons"), 0), ==, "last");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (remove, 0), "name"), ==,
                   "search_backup_20260322_100000.json");
  for (guint i = 0; i < 6; i++)
    g_assert_true (g_file_test (paths[i], G_FILE_TEST_EXISTS));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli_utc (f, NULL, &out, NULL, "prune", "--dry-run", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Keeps search_backup_20260325_100000.json (among the newest)\n"));
  g_assert_nonnull (strstr (out, "Would remove search_backup_20260320_100000.json\n"));
  g_assert_nonnull (strstr (out, "3 backups kept, 3 to remove.\n"));

  /* Below three is refused before anything is asked. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli_utc (f, NULL, NULL, &err, "prune", "--keep-last", "2", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "keep_last"));

  /* Four days: the fourth newest stays as the newest of its day. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli_utc (f, NULL, &out, NULL, "prune", "--keep-daily", "4", NULL), ==, 0);
  g_test_message ("prune --keep-daily 4:\n%s", out);
  g_assert_nonnull (strstr (out, "Keeps search_backup_20260322_100000.json (newest of its day)\n"));
  g_assert_nonnull (strstr (out, "Keeps search_backup_20260325_100000.json (among the newest, newest of its day)\n"));
  g_assert_nonnull (strstr (out, "Removed search_backup_20260320_100000.json\n"));
  g_assert_nonnull (strstr (out, "4 backups kept, 2 removed.\n"));
  for (guint i = 0; i < 6; i++)
    g_assert_cmpint (g_file_test (paths[i], G_FILE_TEST_EXISTS), ==, i >= 2);

  /* What the backend does not offer says so, and changes nothing. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli_utc (f, NULL, NULL, &err, "protect", "search_backup_20260325_100000.json", NULL), ==, 3);
  g_test_message ("protect: %s", err);
  g_assert_nonnull (strstr (err, "does not offer"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli_utc (f, NULL, NULL, &err, "policy", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "does not offer"));
}

/* docs/api.md §6 against our server: the policy, protection, notes and
 * the server's own prune, from the command line. */
static void
test_policy (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  JsonObject *root;
  JsonArray *backups;

  g_assert_cmpint (cli (f, &out, &err, "policy", "set", "--every", "weekly", "--at", "02:30", "--keep-last", "5",
                        NULL), ==, 0);
  g_test_message ("policy set:\n%s%s", out, err);
  g_assert_nonnull (strstr (out, "Schedule: every week on Monday at 02:30 ("));
  g_assert_nonnull (strstr (out, "Retention: the 5 newest"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "policy", "set", "--keep-weekly", "4", "--verify", "weekly", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "policy", "--json", NULL), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  /* What the first call set stays. */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "retention"), "keep_last"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "retention"), "keep_weekly"), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "schedule"), "every"), ==,
                   "weekly");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "verify"), "every"), ==,
                   "weekly");
  g_assert_true (json_object_has_member (root, "next_backup"));

  /* Refused by name, before anything is sent. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f, NULL, &err, "policy", "set", "--keep-last", "2", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "retention.keep_last"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f, NULL, &err, "policy", "set", "--at", "25:00", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "schedule.at"));

  /* Protection and notes. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "create", NULL), ==, 0);
  first = only_line_token (out, "Backup created: ");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "protect", first, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "is protected"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "note", first, "Avant la migration", NULL), ==, 0);
  g_clear_object (&parser);
  parser = json_parser_new ();
  backups = list_backups (f, parser);
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (backups, 0), "protected"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (backups, 0), "note"), ==,
                   "Avant la migration");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (backups, 0), "kind"), ==, "manual");

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f, NULL, &err, "delete", first, NULL), ==, 3);
  g_test_message ("delete protected: %s", err);
  g_assert_nonnull (strstr (err, "protected"));
  g_assert_nonnull (strstr (err, "unprotect"));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "note", first, "", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "removed"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "unprotect", first, NULL), ==, 0);
  g_clear_object (&parser);
  parser = json_parser_new ();
  backups = list_backups (f, parser);
  g_assert_false (json_object_has_member (json_array_get_object_element (backups, 0), "note"));

  /* The server's own prune: with three backups or fewer, nothing goes. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "create", NULL), ==, 0);
  second = only_line_token (out, "Backup created: ");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "prune", NULL), ==, 0);
  g_test_message ("prune:\n%s", out);
  g_assert_nonnull (strstr (out, "2 backups kept, 0 removed.\n"));
  g_assert_nonnull (strstr (out, second));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "delete", first, NULL), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cli-network/round-trip", Fixture, NULL, fixture_setup, test_round_trip, fixture_teardown);
  g_test_add ("/cli-network/tampered-upload", Fixture, NULL, fixture_setup, test_tampered_upload, fixture_teardown);
  g_test_add ("/cli-network/errors", Fixture, NULL, fixture_setup, test_errors, fixture_teardown);
  g_test_add ("/cli-network/policy", Fixture, NULL, fixture_setup, test_policy, fixture_teardown);
  g_test_add ("/cli-network/fastapi/list", Fixture, NULL, fastapi_setup, test_fastapi_list, fixture_teardown);
  g_test_add ("/cli-network/fastapi/list/malformed", Fixture, MALFORMED_ENTRIES, fastapi_setup,
              test_fastapi_list_malformed, fixture_teardown);
  g_test_add ("/cli-network/fastapi/round-trip", Fixture, NULL, fastapi_setup, test_fastapi_round_trip,
              fixture_teardown);
  g_test_add ("/cli-network/fastapi/errors", Fixture, NULL, fastapi_setup, test_fastapi_errors, fixture_teardown);
  g_test_add ("/cli-network/fastapi/prune", Fixture, NULL, fastapi_setup, test_fastapi_prune, fixture_teardown);

  return g_test_run ();
}
