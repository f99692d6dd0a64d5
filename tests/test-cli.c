/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "osi-archive.h"
#include "osi-test-support.h"

/* The real osi-backup-cli binary, run as scripts run it (docs/api.md §9). */

#define DATA_SIZE (1024 * 1024)

typedef struct
{
  char *tmp;
  char *data;
  char *archive;  /* a fresh backup of data */
} Fixture;

/* English whatever the caller's environment says. */
static const char * const c_locale[] = { "LC_ALL=C.UTF-8", "LANG=C.UTF-8", "LANGUAGE=", NULL };
static const char * const fr_locale[] = { "LANG=fr_FR.UTF-8", "LC_ALL=fr_FR.UTF-8", "LANGUAGE=fr", NULL };

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, DATA_SIZE, 5);
  f->archive = g_build_filename (f->tmp, "backup_20261126_101500.tar.zst", NULL);
  osi_test_make_archive (f->data, f->archive, OSI_COMPRESSION_ZSTD, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->archive);
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static gboolean
json_has_finding (JsonObject *report,
                  const char *code,
                  const char *path)
{
  JsonArray *findings = json_object_get_array_member (report, "findings");

  g_assert_nonnull (findings);
  for (guint i = 0; i < json_array_get_length (findings); i++)
    {
      JsonObject *finding = json_array_get_object_element (findings, i);

      if (g_strcmp0 (json_object_get_string_member (finding, "code"), code) == 0 &&
          (path == NULL ||
           g_strcmp0 (json_object_get_string_member_with_default (finding, "path", NULL), path) == 0))
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  char    *path;
  gint64   size;
  char    *sha256;   /* NULL for folders */
} TreeItem;

static void
tree_item_free (gpointer data)
{
  TreeItem *item = data;

  g_free (item->path);
  g_free (item->sha256);
  g_free (item);
}

/* What the data folder holds, found without the library: path → TreeItem. */
static void
walk_tree (const char *root,
           const char *rel,
           GHashTable *items)
{
  g_autofree char *dir_path = *rel ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GError) error = NULL;
  GDir *dir = g_dir_open (dir_path, 0, &error);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      char *item_rel = *rel ? g_strconcat (rel, "/", name, NULL) : g_strdup (name);
      TreeItem *item = g_new0 (TreeItem, 1);

      item->path = item_rel;
      g_hash_table_insert (items, item->path, item);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        walk_tree (root, item_rel, items);
      else
        {
          g_autofree char *contents = NULL;
          gsize len;

          g_file_get_contents (path, &contents, &len, &error);
          g_assert_no_error (error);
          item->size = (gint64)len;
          item->sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents, len);
        }
    }
  g_dir_close (dir);
}

static GHashTable *
tree_items (const char *root)
{
  GHashTable *items = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, tree_item_free);

  walk_tree (root, "", items);
  return items;
}

/* A copy of a backup with one byte of one file changed and the manifest
 * left as it was: what tampering looks like. */
static void
tamper (const char *src,
        const char *dst,
        const char *victim)
{
  g_autofree guint8 *buffer = NULL;
  struct archive *in = archive_read_new ();
  struct archive *out = archive_write_new ();
  struct archive_entry *entry;
  gboolean tampered = FALSE;
  /* names are UTF-8 in the pax headers whatever the test's locale */
  locale_t utf8 = newlocale (LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  locale_t previous;

  g_assert_true (utf8 != (locale_t)0);
  previous = uselocale (utf8);

  archive_read_support_filter_zstd (in);
  archive_read_support_format_tar (in);
  g_assert_cmpint (archive_read_open_filename (in, src, 64 * 1024), ==, ARCHIVE_OK);
  archive_write_add_filter_zstd (out);
  archive_write_set_format_pax_restricted (out);
  g_assert_cmpint (archive_write_open_filename (out, dst), ==, ARCHIVE_OK);

  while (archive_read_next_header (in, &entry) == ARCHIVE_OK)
    {
      la_int64_t size = archive_entry_size (entry);

      g_assert_cmpint (archive_write_header (out, entry), ==, ARCHIVE_OK);
      if (size <= 0)
        continue;
      buffer = g_realloc (buffer, (gsize)size);
      g_assert_cmpint (archive_read_data (in, buffer, (size_t)size), ==, size);
      if (strcmp (archive_entry_pathname (entry), victim) == 0)
        {
          buffer[size / 2] = buffer[size / 2] == 'x' ? 'y' : 'x';
          tampered = TRUE;
        }
      g_assert_cmpint (archive_write_data (out, buffer, (size_t)size), ==, size);
    }
  g_assert_true (tampered);

  g_assert_cmpint (archive_write_close (out), ==, ARCHIVE_OK);
  archive_write_free (out);
  archive_read_free (in);
  uselocale (previous);
  freelocale (utf8);
}

static char *
make_tampered (Fixture *f)
{
  char *path = g_build_filename (f->tmp, "tampered.tar.zst", NULL);

  tamper (f->archive, path, "config/system.json");
  return path;
}

/* ------------------------------------------------------------------------ */
/* verify and inspect on a good backup                                      */

static void
test_verify_text (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (osi_test_run_cli (&out, &err, c_locale, "verify", f->archive, NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Verdict: restorable\n"));
  g_assert_nonnull (strstr (out, "No problem found"));
  g_assert_nonnull (strstr (out, f->archive));
  g_assert_cmpstr (err, ==, "");
}

static void
test_verify_json (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(GHashTable) expected = tree_items (f->data);
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  JsonObject *manifest;
  JsonArray *files;
  guint n_files = 0;

  g_assert_cmpint (osi_test_run_cli (&out, &err, c_locale, "verify", "--json", f->archive, NULL), ==, 0);
  report = parse_object (out);

  g_assert_cmpstr (json_object_get_string_member (report, "file"), ==, f->archive);
  g_assert_cmpstr (json_object_get_string_member (report, "format"), ==, "tar.zst");
  g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "restorable");
  g_assert_true (json_object_get_boolean_member (report, "restorable"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "findings")), ==, 0);
  g_assert_cmpint (json_object_get_int_member (report, "rag_entries"), ==, osi_test_count_rag_entries (f->data));

  /* every file and folder of the data, as they are on disk */
  files = json_object_get_array_member (report, "files");
  g_assert_nonnull (files);
  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      JsonObject *file = json_array_get_object_element (files, i);
      const char *path = json_object_get_string_member (file, "path");
      const char *type = json_object_get_string_member (file, "type");
      TreeItem *item = g_hash_table_lookup (expected, path);

      if (item == NULL)
        g_error ("the report lists %s, which is not in the data", path);
      g_assert_false (g_hash_table_contains (listed, path));
      g_hash_table_add (listed, (gpointer)path);
      if (item->sha256 == NULL)
        g_assert_cmpstr (type, ==, "directory");
      else
        {
          g_assert_cmpstr (type, ==, "file");
          g_assert_cmpint (json_object_get_int_member (file, "size"), ==, item->size);
          g_assert_cmpstr (json_object_get_string_member (file, "sha256"), ==, item->sha256);
          n_files++;
        }
    }
  g_assert_cmpuint (g_hash_table_size (listed), ==, g_hash_table_size (expected));

  manifest = json_object_get_object_member (report, "manifest");
  g_assert_nonnull (manifest);
  g_assert_cmpint (json_object_get_int_member (manifest, "version"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (manifest, "file_count"), ==, n_files);
  g_assert_cmpint (json_object_get_int_member (manifest, "rag_entries"), ==, osi_test_count_rag_entries (f->data));
}

static void
test_inspect_text (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *rag_line = NULL;
  g_autoptr(GHashTable) expected = tree_items (f->data);
  g_auto(GStrv) lines = NULL;
  GHashTableIter iter;
  TreeItem *item;
  guint n = osi_test_count_rag_entries (f->data);

  g_assert_cmpint (osi_test_run_cli (&out, &err, c_locale, "inspect", f->archive, NULL), ==, 0);
  g_test_message ("%s", out);
  lines = g_strsplit (out, "\n", -1);

  /* one line per file or folder, its path last */
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&item))
    {
      g_autofree char *suffix = item->sha256 == NULL ? g_strdup_printf ("  %s/", item->path)
                                                     : g_strdup_printf ("  %s", item->path);
      gboolean found = FALSE;

      for (guint i = 0; lines[i] != NULL && !found; i++)
        found = g_str_has_suffix (lines[i], suffix);
      if (!found)
        g_error ("inspect does not show %s", item->path);
    }

  g_assert_cmpuint (n, >, 1);
  rag_line = g_strdup_printf ("Knowledge base: %u entries\n", n);
  g_assert_nonnull (strstr (out, rag_line));
  g_assert_nonnull (strstr (out, "Verdict: restorable\n"));
}

/* A path in a backup with a terminal's escape, a line break and a
 * right-to-left override: shown escaped, never acted on by the terminal;
 * the JSON report keeps it exact. */
static void
test_hostile_path_escaped (Fixture       *f,
                           gconstpointer  user_data)
{
  const char *evil = "data/\033[2J\033]0;owned\007x\nfake: OK\xe2\x80\xaetxt.bin";
  const OsiTestEntry entries[] = {
    { "rag/search.json", AE_IFREG, NULL, -1, NULL, FALSE },
    { evil, AE_IFREG, "payload", -1, NULL, FALSE },
  };
  g_autofree char *archive = g_build_filename (f->tmp, "backup_20261126_101600.tar", NULL);
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) report = NULL;
  OsiTestEntry all[G_N_ELEMENTS (entries)];

  memcpy (all, entries, sizeof entries);
  all[0].data = osi_test_valid_rag ();
  osi_test_write_archive (archive, ARCHIVE_FILTER_NONE, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, all, G_N_ELEMENTS (all),
                          FALSE);

  for (guint c = 0; c < 2; c++)
    {
      g_clear_pointer (&out, g_free);
      osi_test_run_cli (&out, NULL, c_locale, c == 0 ? "inspect" : "verify", archive, NULL);
      g_test_message ("%s", out);
      g_assert_null (strchr (out, '\033'));
      g_assert_null (strchr (out, '\007'));
      g_assert_null (strstr (out, "\xe2\x80\xae"));
      g_assert_null (strstr (out, "\nfake: OK"));
      if (c == 0)
        g_assert_nonnull (strstr (out, "data/\\x1B[2J\\x1B]0;owned\\x07x\\x0Afake: OK\\u202Etxt.bin"));
    }

  osi_test_run_cli (&json, NULL, c_locale, "inspect", "--json", archive, NULL);
  report = parse_object (json);
  {
    JsonArray *files = json_object_get_array_member (report, "files");
    gboolean found = FALSE;

    for (guint i = 0; files != NULL && i < json_array_get_length (files); i++)
      found |= g_strcmp0 (json_object_get_string_member (json_array_get_object_element (files, i), "path"),
                          evil) == 0;
    g_assert_true (found);
  }
}

static void
test_inspect_json (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(GHashTable) expected = tree_items (f->data);

  g_assert_cmpint (osi_test_run_cli (&out, NULL, c_locale, "inspect", "--json", f->archive, NULL), ==, 0);
  report = parse_object (out);
  g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "restorable");
  g_assert_cmpint (json_object_get_int_member (report, "rag_entries"), ==, osi_test_count_rag_entries (f->data));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "files")), ==,
                    g_hash_table_size (expected));
}

/* ------------------------------------------------------------------------ */
/* Exit statuses                                                            */

static void assert_usage_error (const char *first_arg,
                                ...) G_GNUC_NULL_TERMINATED;

/* Usage errors: status 2, nothing on stdout, the reason and usage on stderr.
 * Up to four arguments. */
static void
assert_usage_error (const char *first_arg,
                    ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;
  int status;

  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer)arg);
  va_end (ap);
  while (args->len < 4)
    g_ptr_array_add (args, NULL);
  g_assert_cmpuint (args->len, ==, 4);

  status = osi_test_run_cli (&out, &err, c_locale, args->pdata[0], args->pdata[1], args->pdata[2],
                             args->pdata[3], NULL);
  g_test_message ("%s %s: %d\n%s", first_arg ? first_arg : "(none)",
                  args->pdata[1] ? (char *)args->pdata[1] : "", status, err);
  g_assert_cmpint (status, ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "osi-backup-cli: "));
  g_assert_nonnull (strstr (err, "Usage: osi-backup-cli"));
}

static void
test_exit_usage (Fixture       *f,
                 gconstpointer  user_data)
{
  assert_usage_error (NULL, NULL);
  assert_usage_error ("frobnicate", NULL);
  assert_usage_error ("frobnicate", f->archive, NULL);
  assert_usage_error ("verify", NULL);
  assert_usage_error ("verify", f->archive, f->archive, NULL);
  assert_usage_error ("verify", "--bogus", NULL);
  assert_usage_error ("verify", "--bogus", f->archive, NULL);
  assert_usage_error ("inspect", NULL);
  assert_usage_error ("--bogus", "verify", f->archive, NULL);
}

static void
test_exit_unreadable (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autofree char *missing = g_build_filename (f->tmp, "no-such-backup.tar.zst", NULL);
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) report = NULL;

  g_assert_cmpint (osi_test_run_cli (&text, NULL, c_locale, "verify", missing, NULL), ==, 1);
  g_assert_nonnull (strstr (text, "Verdict: not restorable\n"));

  g_assert_cmpint (osi_test_run_cli (&out, NULL, c_locale, "verify", "--json", missing, NULL), ==, 1);
  report = parse_object (out);
  g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "not_restorable");
  g_assert_false (json_object_get_boolean_member (report, "restorable"));
  g_assert_true (json_has_finding (report, "unreadable", NULL));
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

static void
test_exit_problem (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *tampered = make_tampered (f);
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) report = NULL;

  g_assert_cmpint (osi_test_run_cli (&out, NULL, c_locale, "verify", tampered, NULL), ==, 1);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Verdict: not restorable\n"));
  g_assert_nonnull (strstr (out, "config/system.json : The content differs from the manifest"));

  g_assert_cmpint (osi_test_run_cli (&json, NULL, c_locale, "verify", "--json", tampered, NULL), ==, 1);
  report = parse_object (json);
  g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "not_restorable");
  g_assert_true (json_has_finding (report, "checksum_mismatch", "config/system.json"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "findings")), ==, 1);
}

static void
test_demo_data (Fixture       *f,
                gconstpointer  user_data)
{
  g_autofree char *dir = g_build_filename (f->tmp, "demo", NULL);
  g_autofree char *rag = g_build_filename (dir, "rag", "search.json", NULL);
  g_autofree char *refused = g_build_filename (f->tmp, "refused", NULL);
  g_autofree char *out = NULL;

  g_assert_cmpint (osi_test_run_cli (&out, NULL, c_locale, "demo-data", dir, "--size-mb", "1", NULL), ==, 0);
  g_assert_true (g_file_test (rag, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (osi_test_count_rag_entries (dir), >, 0);

  assert_usage_error ("demo-data", refused, "--size-mb", "0", NULL);
  g_assert_false (g_file_test (refused, G_FILE_TEST_EXISTS));
  assert_usage_error ("demo-data", NULL);
}

/* ------------------------------------------------------------------------ */
/* diff                                                                     */

/* Changes the data folder after its backup: the first entry removed, the
 * second's description changed, one entry and one configuration file
 * added. Returns the names of the first two entries. */
static void
change_data (Fixture  *f,
             char    **removed,
             char    **modified)
{
  g_autofree char *path = g_build_filename (f->data, "rag", "search.json", NULL);
  g_autofree char *extra = g_build_filename (f->data, "config", "extra.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GList) names = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *kb;
  JsonObject *copy;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  kb = json_node_get_object (json_parser_get_root (parser));
  names = json_object_get_members (kb);
  g_assert_cmpuint (g_list_length (names), >=, 3);
  *removed = g_strdup (names->data);
  *modified = g_strdup (names->next->data);

  copy = json_node_dup_object (json_object_get_member (kb, names->next->next->data));
  json_object_set_object_member (kb, "zz-added-entry", copy);
  json_object_set_string_member (json_object_get_object_member (kb, *modified), "description", "Changée.");
  json_object_remove_member (kb, *removed);

  json_generator_set_root (generator, json_parser_get_root (parser));
  json_generator_to_file (generator, path, &error);
  g_assert_no_error (error);
  g_file_set_contents (extra, "{\"extra\": true}\n", -1, &error);
  g_assert_no_error (error);
}

static void
test_diff_text (Fixture       *f,
                gconstpointer  user_data)
{
  g_autofree char *removed = NULL;
  g_autofree char *modified = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *same = NULL;
  g_autofree char *line = NULL;

  change_data (f, &removed, &modified);

  /* differences are not a failure */
  g_assert_cmpint (osi_test_run_cli (&out, &err, c_locale, "diff", f->archive, f->data, NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_cmpstr (err, ==, "");
  g_assert_nonnull (strstr (out, "This restore will remove 1 entry, add 1 and modify 1. "
                                 "This restore will add 1 configuration file.\n"));
  g_assert_nonnull (strstr (out, "Knowledge base — entries added: 1, removed: 1, modified: 1, unchanged: "));
  g_assert_nonnull (strstr (out, "Configuration — files added: 1, removed: 0, modified: 0, unchanged: "));
  line = g_strdup_printf ("\n  ~ %s (description)\n", modified);
  g_assert_nonnull (strstr (out, line));
  g_clear_pointer (&line, g_free);
  line = g_strdup_printf ("\n  - %s\n", removed);
  g_assert_nonnull (strstr (out, line));
  g_assert_nonnull (strstr (out, "\n  + zz-added-entry\n"));
  g_assert_nonnull (strstr (out, "\n  + config/extra.json (16 bytes)\n"));

  g_assert_cmpint (osi_test_run_cli (&same, NULL, c_locale, "diff", f->archive, f->archive, NULL), ==, 0);
  g_assert_nonnull (strstr (same, "This restore will change nothing"));
}

static void
test_diff_json (Fixture       *f,
                gconstpointer  user_data)
{
  g_autofree char *removed = NULL;
  g_autofree char *modified = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) diff = NULL;
  JsonObject *rag;
  JsonObject *config;
  JsonArray *changes;
  JsonObject *change;

  change_data (f, &removed, &modified);
  g_assert_cmpint (osi_test_run_cli (&out, NULL, c_locale, "diff", "--json", f->archive, f->data, NULL), ==, 0);
  diff = parse_object (out);
  g_assert_cmpstr (json_object_get_string_member (diff, "a"), ==, f->archive);
  g_assert_cmpstr (json_object_get_string_member (diff, "b"), ==, f->data);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (diff, "summary"), "This restore will"));

  rag = json_object_get_object_member (diff, "rag");
  g_assert_cmpint (json_object_get_int_member (rag, "added"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (rag, "removed"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (rag, "modified"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (rag, "unchanged"), ==, osi_test_count_rag_entries (f->data) - 2);
  changes = json_object_get_array_member (rag, "changes");
  g_assert_cmpuint (json_array_get_length (changes), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      change = json_array_get_object_element (changes, i);
      if (g_strcmp0 (json_object_get_string_member (change, "name"), modified) == 0)
        {
          JsonArray *fields = json_object_get_array_member (change, "fields");

          g_assert_cmpstr (json_object_get_string_member (change, "change"), ==, "modified");
          g_assert_cmpuint (json_array_get_length (fields), ==, 1);
          g_assert_cmpstr (json_array_get_string_element (fields, 0), ==, "description");
        }
      else
        g_assert_false (json_object_has_member (change, "fields"));
      g_assert_false (json_object_has_member (change, "size_a"));
    }

  config = json_object_get_object_member (diff, "config");
  g_assert_cmpint (json_object_get_int_member (config, "added"), ==, 1);
  change = json_array_get_object_element (json_object_get_array_member (config, "changes"), 0);
  g_assert_cmpstr (json_object_get_string_member (change, "name"), ==, "config/extra.json");
  g_assert_cmpstr (json_object_get_string_member (change, "change"), ==, "added");
  g_assert_cmpint (json_object_get_int_member (change, "size_b"), ==, 16);
  g_assert_false (json_object_has_member (change, "size_a"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (diff, "data"), "added"), ==, 0);
}

static void
test_diff_exit (Fixture       *f,
                gconstpointer  user_data)
{
  g_autofree char *tampered = make_tampered (f);
  g_autofree char *missing = g_build_filename (f->tmp, "missing.tar.zst", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;

  /* a backup that fails verification cannot be compared */
  g_assert_cmpint (osi_test_run_cli (&out, &err, c_locale, "diff", "--json", f->data, tampered, NULL), ==, 1);
  g_test_message ("%s", err);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "failed verification"));
  g_assert_nonnull (strstr (err, "osi-backup-cli verify"));

  g_assert_cmpint (osi_test_run_cli (NULL, &err2, c_locale, "diff", missing, f->data, NULL), ==, 1);
  g_assert_nonnull (strstr (err2, missing));

  {
    g_autofree char *help = NULL;

    g_assert_cmpint (osi_test_run_cli (&help, NULL, c_locale, "diff", "--help", NULL), ==, 0);
    g_assert_nonnull (strstr (help, "Exit status: 0 when the comparison was made, whether or not A and B differ"));
  }

  assert_usage_error ("diff", NULL);
  assert_usage_error ("diff", f->archive, NULL);
  assert_usage_error ("diff", f->archive, f->data, f->archive, NULL);
  assert_usage_error ("diff", "--bogus", f->archive, f->data, NULL);
}

static void
test_diff_french (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autofree char *removed = NULL;
  g_autofree char *modified = NULL;
  g_autofree char *out = NULL;

  if (!osi_test_have_locale ("fr_FR.UTF-8"))
    {
      osi_test_missing ("the fr_FR.UTF-8 locale is not installed here (CI generates it)");
      return;
    }

  change_data (f, &removed, &modified);
  g_assert_cmpint (osi_test_run_cli (&out, NULL, fr_locale, "diff", f->archive, f->data, NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Cette restauration retirera 1 entrée, en ajoutera 1, en modifiera 1. "
                                 "Cette restauration ajoutera 1 fichier de configuration.\n"));
  g_assert_nonnull (strstr (out, "Base de connaissances — entrées ajoutées : 1, retirées : 1, modifiées : 1, inchangées : "));
  g_assert_null (strstr (out, "This restore"));
}

static void
test_help (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (osi_test_run_cli (&out, &err, c_locale, "--help", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Usage: osi-backup-cli"));
  g_assert_nonnull (strstr (out, "verify FILE"));
  g_assert_nonnull (strstr (out, "diff A B [--json]"));
  g_assert_nonnull (strstr (out, "diff exits with 0 whether or not A and B differ"));
  g_assert_cmpstr (err, ==, "");

  /* A command with subcommands has its own help, not a usage error. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (osi_test_run_cli (&out, &err, c_locale, "offsite", "--help", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Usage: osi-backup-cli offsite list [--json] [--refresh]\n"));
  g_assert_nonnull (strstr (out, "offsite fetch NAME"));
  g_assert_cmpstr (err, ==, "");
}

/* ------------------------------------------------------------------------ */
/* French                                                                   */

static void
test_french (Fixture       *f,
             gconstpointer  user_data)
{
  g_autofree char *tampered = NULL;
  g_autofree char *out = NULL;
  g_autofree char *good = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) report = NULL;
  JsonObject *finding;

  if (!osi_test_have_locale ("fr_FR.UTF-8"))
    {
      osi_test_missing ("the fr_FR.UTF-8 locale is not installed here (CI generates it)");
      return;
    }

  tampered = make_tampered (f);
  g_assert_cmpint (osi_test_run_cli (&out, NULL, fr_locale, "verify", tampered, NULL), ==, 1);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Verdict : non restaurable\n"));
  g_assert_nonnull (strstr (out, "config/system.json : Le contenu diffère du manifeste"));
  g_assert_null (strstr (out, "Verdict:"));
  g_assert_null (strstr (out, "not restorable"));
  g_assert_null (strstr (out, "The content differs"));

  g_assert_cmpint (osi_test_run_cli (&good, NULL, fr_locale, "verify", f->archive, NULL), ==, 0);
  g_assert_nonnull (strstr (good, "Verdict : restaurable\n"));
  g_assert_null (strstr (good, "restorable"));

  /* the JSON's codes are ids for scripts; only the messages are French */
  g_assert_cmpint (osi_test_run_cli (&json, NULL, fr_locale, "verify", "--json", tampered, NULL), ==, 1);
  report = parse_object (json);
  g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "not_restorable");
  finding = json_array_get_object_element (json_object_get_array_member (report, "findings"), 0);
  g_assert_cmpstr (json_object_get_string_member (finding, "code"), ==, "checksum_mismatch");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (finding, "message"),
                                   "Le contenu diffère du manifeste"));
}

/* ------------------------------------------------------------------------ */
/* Checking writes nothing                                                  */

/* Names, modes, sizes and modification times of a folder's entries. */
static char *
describe_folder (const char *path)
{
  g_auto(GStrv) names = osi_test_dir_names (path);
  GString *out = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *file = g_build_filename (path, names[i], NULL);
      struct stat st;

      g_assert_cmpint (lstat (file, &st), ==, 0);
      g_string_append_printf (out, "%s %o %" G_GINT64_FORMAT " %" G_GINT64_FORMAT ".%09ld\n",
                              names[i], (guint)st.st_mode,
                              (gint64)st.st_size, (gint64)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
  return g_string_free (out, FALSE);
}

static void
test_verify_writes_nothing (Fixture       *f,
                            gconstpointer  user_data)
{
  g_autofree char *box = g_build_filename (f->tmp, "box", NULL);
  g_autofree char *archive = g_build_filename (box, "backup_20261126_101500.tar.zst", NULL);
  g_autofree char *tampered = g_build_filename (box, "tampered.tar.zst", NULL);
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *sha_before = NULL;
  g_autofree char *sha_after = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  const char *commands[] = { "verify", "inspect" };

  g_assert_cmpint (g_mkdir (box, 0700), ==, 0);
  g_assert_cmpint (g_rename (f->archive, archive), ==, 0);
  tamper (archive, tampered, "config/system.json");
  g_assert_true (g_file_get_contents (archive, &contents, &len, NULL));
  sha_before = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents, len);
  g_clear_pointer (&contents, g_free);
  before = describe_folder (box);

  /* run from inside the folder, so that a stray relative write lands there */
  g_assert_cmpint (g_chdir (box), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *o1 = NULL;
      g_autofree char *o2 = NULL;
      g_autofree char *o3 = NULL;
      g_autofree char *o4 = NULL;

      g_assert_cmpint (osi_test_run_cli (&o1, NULL, c_locale, commands[i], archive, NULL), ==, 0);
      g_assert_cmpint (osi_test_run_cli (&o2, NULL, c_locale, commands[i], "--json", archive, NULL), ==, 0);
      g_assert_cmpint (osi_test_run_cli (&o3, NULL, c_locale, commands[i], tampered, NULL), ==, 1);
      g_assert_cmpint (osi_test_run_cli (&o4, NULL, c_locale, commands[i], "--json", "tampered.tar.zst", NULL), ==, 1);
    }
  g_assert_cmpint (g_chdir (cwd), ==, 0);

  after = describe_folder (box);
  g_assert_cmpstr (after, ==, before);
  g_assert_true (g_file_get_contents (archive, &contents, &len, NULL));
  sha_after = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents, len);
  g_assert_cmpstr (sha_after, ==, sha_before);
}

/* ------------------------------------------------------------------------ */
/* Metadata bombs: entries and names bounded like data (issue 11)           */

/* The shared metadata bomb, as tar.zst in the fixture's folder. */
static char *
write_name_bomb (Fixture  *f,
                 guint     n,
                 gsize     name_len,
                 gboolean  same)
{
  char *path = g_strdup_printf ("%s/names-%u-%" G_GSIZE_FORMAT "%s.tar.zst", f->tmp, n, name_len,
                                same ? "-same" : "");

  osi_test_write_name_bomb (path, ARCHIVE_FILTER_ZSTD, n, name_len,
                            same ? OSI_TEST_NAMES_SAME : OSI_TEST_NAMES_UNIQUE, FALSE);
  return path;
}

static guint
count_lines_starting (const char *text,
                      const char *start)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_has_prefix (lines[i], start);
  return n;
}

/* 2,499 duplicates of one 3.8 KB path: the report lists the first 1,000
 * and says how many more there are, in text and in JSON. */
static void
test_verify_findings_capped (Fixture       *f,
                             gconstpointer  user_data)
{
  g_autofree char *archive = write_name_bomb (f, 2500, 3800, TRUE);
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) report = NULL;
  JsonObject *by_code;

  g_assert_cmpint (osi_test_run_cli (&out, NULL, c_locale, "verify", archive, NULL), ==, 1);
  g_test_message ("verify: %" G_GSIZE_FORMAT " bytes of text", strlen (out));
  g_assert_nonnull (strstr (out, "Verdict: not restorable\n"));
  /* every duplicate counted, the RAG and the manifest missing */
  g_assert_nonnull (strstr (out, "2501 problems found:\n"));
  g_assert_cmpuint (count_lines_starting (out, "  - "), ==, 1000 + 2);
  g_assert_nonnull (strstr (out, "\n  … and 1499 more problems of kinds listed above\n"));

  g_assert_cmpint (osi_test_run_cli (&json, NULL, c_locale, "verify", "--json", archive, NULL), ==, 1);
  g_test_message ("verify --json: %" G_GSIZE_FORMAT " bytes", strlen (json));
  report = parse_object (json);
  g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "not_restorable");
  g_assert_true (json_has_finding (report, "duplicate_path", NULL));
  g_assert_true (json_has_finding (report, "manifest_missing", NULL));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "findings")), ==, 1000 + 2);
  g_assert_cmpint (json_object_get_int_member_with_default (report, "findings_omitted", -1), ==, 1499);
  g_assert_true (json_object_has_member (report, "findings_omitted_by_code"));
  by_code = json_object_get_object_member (report, "findings_omitted_by_code");
  g_assert_cmpint (json_object_get_int_member_with_default (by_code, "duplicate_path", -1), ==, 1499);
  g_assert_cmpint (json_object_get_int_member_with_default (report, "files_omitted", -1), ==, 0);
}

/* --max-path-bytes: reading stops where the names pass it, and neither
 * verify nor inspect lists more than the start of what was read. */
static void
test_verify_path_bytes_limit (Fixture       *f,
                              gconstpointer  user_data)
{
  g_autofree char *archive = write_name_bomb (f, 1500, 1000, FALSE);
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autofree char *listing = NULL;
  g_autoptr(JsonObject) report = NULL;

  g_assert_cmpint (osi_test_run_cli (&out, NULL, c_locale, "verify", "--max-path-bytes", "1200000", archive, NULL),
                   ==, 1);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Verdict: not restorable\n"));
  /* g_format_size () puts a no-break space before the unit */
  g_assert_nonnull (strstr (out, "The names of the archive’s entries add up to more than the limit (1.2\u00a0MB): "
                                 "probable metadata bomb."));

  g_assert_cmpint (osi_test_run_cli (&json, NULL, c_locale, "verify", "--json", "--max-path-bytes", "1200000",
                                     archive, NULL), ==, 1);
  report = parse_object (json);
  g_assert_true (json_has_finding (report, "paths_too_large", NULL));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "findings")), ==, 1);
  /* 1,200 entries read (the 1,201st passes the limit), 1,000 listed */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "files")), ==, 1000);
  g_assert_cmpint (json_object_get_int_member (report, "files_omitted"), ==, 200);
  g_assert_cmpint (json_object_get_int_member (report, "findings_omitted"), ==, 0);

  g_assert_cmpint (osi_test_run_cli (&listing, NULL, c_locale, "inspect", "--max-path-bytes", "1200000", archive,
                                     NULL), ==, 1);
  g_assert_cmpuint (count_lines_starting (listing, "     0 bytes  data/"), ==, 1000);
  g_assert_nonnull (strstr (listing, "  … and 200 more entries, not listed: reading stopped at a limit\n"));

  assert_usage_error ("verify", "--max-path-bytes", "-1", archive, NULL);
}

/* The archive: 100,000 empty files with 3.8 KB names in ~390 KB
 * of tar.zst, checked with the default limits. Its 512 MB of headers
 * made a 378 MB JSON report; reading now stops at a limit and the report
 * stays a few megabytes. */
static void
test_verify_amplification (Fixture       *f,
                           gconstpointer  user_data)
{
  g_autofree char *archive = write_name_bomb (f, 100000, 3800, FALSE);
  g_autofree char *out = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) report = NULL;
  struct stat st;

  g_assert_cmpint (stat (archive, &st), ==, 0);
  g_test_message ("the archive: %" G_GINT64_FORMAT " bytes", (gint64)st.st_size);
  g_assert_cmpint (st.st_size, <, 1024 * 1024);

  g_assert_cmpint (osi_test_run_cli (&out, NULL, c_locale, "verify", archive, NULL), ==, 1);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Verdict: not restorable\n"));
  g_assert_cmpuint (strlen (out), <, 64 * 1024);

  g_assert_cmpint (osi_test_run_cli (&json, NULL, c_locale, "verify", "--json", archive, NULL), ==, 1);
  g_test_message ("verify --json: %" G_GSIZE_FORMAT " bytes", strlen (json));
  g_assert_cmpuint (strlen (json), <, 8 * 1024 * 1024);
  report = parse_object (json);
  g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "not_restorable");
  g_assert_true (json_has_finding (report, "ratio_exceeded", NULL) || json_has_finding (report, "paths_too_large", NULL));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "files")), <=, 1000);
  g_assert_cmpint (json_object_get_int_member (report, "files_omitted"), >, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/cli/verify/text", test_verify_text);
  ADD ("/cli/verify/json", test_verify_json);
  ADD ("/cli/verify/writes-nothing", test_verify_writes_nothing);
  ADD ("/cli/inspect/text", test_inspect_text);
  ADD ("/cli/inspect/json", test_inspect_json);
  ADD ("/cli/inspect/hostile-path-escaped", test_hostile_path_escaped);
  ADD ("/cli/exit/usage", test_exit_usage);
  ADD ("/cli/exit/unreadable", test_exit_unreadable);
  ADD ("/cli/exit/problem", test_exit_problem);
  ADD ("/cli/verify/findings-capped", test_verify_findings_capped);
  ADD ("/cli/verify/path-bytes-limit", test_verify_path_bytes_limit);
  ADD ("/cli/verify/amplification", test_verify_amplification);
  ADD ("/cli/demo-data", test_demo_data);
  ADD ("/cli/french", test_french);
  ADD ("/cli/diff/text", test_diff_text);
  ADD ("/cli/diff/json", test_diff_json);
  ADD ("/cli/diff/exit", test_diff_exit);
  ADD ("/cli/diff/french", test_diff_french);
#undef ADD
  g_test_add_func ("/cli/help", test_help);

  return g_test_run ();
}
