/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "osi-archive.h"
#include "osi-test-support.h"

/* osi-backup-cli's network commands against a real osi-backup-server. */

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
  if (f->server->pid > 0)
    g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
  osi_test_server_free (f->server);
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
  const char *args[8] = { NULL };
  const char *arg;
  guint n = 0;
  va_list ap;

  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL && n < G_N_ELEMENTS (args) - 1; arg = va_arg (ap, const char *))
    args[n++] = arg;
  va_end (ap);

  return osi_test_run_cli (out, err, env, args[0], args[1], args[2], args[3], args[4],
                           args[5], args[6], NULL);
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
assert_same_file (const char *a,
                  const char *b)
{
  g_autofree char *ca = NULL;
  g_autofree char *cb = NULL;
  gsize la, lb;

  g_assert_true (g_file_get_contents (a, &ca, &la, NULL));
  g_assert_true (g_file_get_contents (b, &cb, &lb, NULL));
  g_assert_cmpuint (la, ==, lb);
  g_assert_true (memcmp (ca, cb, la) == 0);
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) parser2 = json_parser_new ();
  g_autoptr(GError) error = NULL;
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
  JsonArray *backups;
  JsonObject *first;

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
  assert_same_file (served, downloaded);
  {
    g_autofree char *part = g_strconcat (downloaded, ".part", NULL);
    g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  }
  /* an existing file is never replaced */
  g_assert_cmpint (cli (f, NULL, NULL, "download", name, "-o", f->downloads, NULL), ==, 3);

  /* upload a backup of other data, then restore it */
  g_assert_cmpint (g_mkdir (other_dir, 0700), ==, 0);
  other_data = osi_test_generate_data (other_dir, 1024 * 1024, 4);
  g_assert_true (osi_archive_create (other_data, other_archive, OSI_COMPRESSION_ZSTD, 0,
                                     NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
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

  /* the safety backup brings the previous data back */
  g_assert_cmpint (cli (f, NULL, NULL, "restore", safety, NULL), ==, 0);
  g_assert_false (osi_test_trees_equal (f->data, other_data, NULL));

  g_assert_cmpint (cli (f, NULL, NULL, "delete", name, NULL), ==, 0);
  g_assert_false (g_file_test (served, G_FILE_TEST_EXISTS));
  g_assert_cmpint (cli (f, NULL, NULL, "delete", name, NULL), ==, 3);
}

static void
test_tampered_upload (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "backup_20250102_080000.tar.gz", NULL);
  g_autofree char *err = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (osi_archive_create (f->data, archive, OSI_COMPRESSION_GZIP, 0, NULL, NULL, NULL, NULL, &error));
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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cli-network/round-trip", Fixture, NULL, fixture_setup, test_round_trip, fixture_teardown);
  g_test_add ("/cli-network/tampered-upload", Fixture, NULL, fixture_setup, test_tampered_upload, fixture_teardown);
  g_test_add ("/cli-network/errors", Fixture, NULL, fixture_setup, test_errors, fixture_teardown);

  return g_test_run ();
}
