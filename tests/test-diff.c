/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-diff.h"
#include "osi-diff-private.h"
#include "osi-error.h"
#include "osi-test-support.h"

/* Comparisons of real archives and folders made here, with known
 * differences. */

#define ENTRY(name, description, keywords, label) \
  "\"" name "\": {\"name\": \"" name "\", \"description\": \"" description "\", \"search\": \"" name "\", " \
  "\"keywords\": " keywords ", \"links\": [\"https://example.org/" name "\"], " \
  "\"details\": {\"Name\": \"" name "\", \"Label\": \"" label "\", \"Messages\": [{\"Label\": \"Q\", " \
  "\"Description\": \"R\", \"Bubbles\": [{\"Text\": \"T\", \"Image\": \"\", \"Video\": \"\", \"Order\": 1}], " \
  "\"Buttons\": [], \"Actions\": [], \"Cards\": [], \"OpenQuestion\": false, \"OpenQuestionLink\": \"\"}]}}"

/* Before: five entries and three files. */
static const char rag_a[] =
  "{" ENTRY ("alpha", "Premier", "[\"a\"]", "A") ",\n"
      ENTRY ("beta", "Deuxième", "[\"b\"]", "B") ",\n"
      ENTRY ("gamma", "Troisième", "[\"c\"]", "C") ",\n"
      ENTRY ("delta", "Quatrième", "[\"d\", \"dd\"]", "D") ",\n"
      ENTRY ("epsilon", "Cinquième", "[\"e\"]", "E") "}";

/* After: alpha removed, beta's description changed, gamma's keywords and
 * details changed, delta the same written otherwise (key order, spacing,
 * escapes, 1.0 for 1), epsilon unchanged, zeta added. */
static const char rag_b[] =
  "{\n  " ENTRY ("beta", "Deuxième (révisée)", "[\"b\"]", "B") ",\n"
  "  " ENTRY ("gamma", "Troisième", "[\"c\", \"cc\"]", "C2") ",\n"
  "  \"delta\"  :  {\"details\": {\"Messages\": [{\"OpenQuestionLink\": \"\", \"OpenQuestion\": false, "
  "\"Cards\": [], \"Actions\": [], \"Buttons\": [], \"Bubbles\": [{\"Order\": 1.0, \"Video\": \"\", "
  "\"Image\": \"\", \"Text\": \"\\u0054\"}], \"Description\": \"R\", \"Label\": \"Q\"}], \"Label\": \"D\", "
  "\"Name\": \"delta\"},\n \"links\": [\"https:\\/\\/example.org/delta\"], \"keywords\": [\"d\", \"dd\"], "
  "\"search\": \"delta\", \"description\": \"Quatri\\u00e8me\", \"name\": \"delta\"},\n"
  "  " ENTRY ("epsilon", "Cinquième", "[\"e\"]", "E") ",\n"
  "  " ENTRY ("zeta", "Sixième", "[\"z\"]", "Z") "\n}\n";

typedef struct
{
  char *tmp;
  char *dir_a;
  char *dir_b;
} Fixture;

static void
write_file (const char *root,
            const char *rel,
            const char *contents)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *root,
           const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->dir_a = g_build_filename (f->tmp, "a", NULL);
  f->dir_b = g_build_filename (f->tmp, "b", NULL);

  write_file (f->dir_a, "rag/search.json", rag_a);
  write_file (f->dir_a, "config/app.json", "{\"model\": \"small\"}\n");
  write_file (f->dir_a, "config/old.json", "{}\n");
  write_file (f->dir_a, "data/docs/guide.md", "# Guide\n");

  write_file (f->dir_b, "rag/search.json", rag_b);
  write_file (f->dir_b, "config/app.json", "{\"model\": \"larger one\"}\n");
  write_file (f->dir_b, "config/prompts.yaml", "system: bonjour\n");
  write_file (f->dir_b, "data/docs/guide.md", "# Guide\n");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->dir_a);
  g_free (f->dir_b);
}

static char *
make_archive (Fixture        *f,
              const char     *dir,
              const char     *name,
              OsiCompression  compression)
{
  char *path = g_build_filename (f->tmp, name, NULL);

  osi_test_make_archive (dir, path, compression, NULL);
  return path;
}

static const OsiChange *
change_at (OsiDiff        *diff,
           OsiDiffSection  section,
           guint           i)
{
  GPtrArray *changes = osi_diff_get_changes (diff, section);

  g_assert_cmpuint (i, <, changes->len);
  return g_ptr_array_index (changes, i);
}

static void
assert_change (OsiDiff        *diff,
               OsiDiffSection  section,
               guint           i,
               OsiChangeKind   kind,
               const char     *name)
{
  const OsiChange *change = change_at (diff, section, i);

  g_assert_cmpstr (change->name, ==, name);
  g_assert_cmpint (change->kind, ==, kind);
}

static void
assert_fields (const OsiChange *change,
               const char      *joined)
{
  g_autofree char *fields = NULL;

  g_assert_nonnull (change->fields);
  fields = g_strjoinv (",", change->fields);
  g_assert_cmpstr (fields, ==, joined);
}

/* The differences the fixture holds, whatever A and B are made of. */
static void
assert_fixture_diff (OsiDiff *diff)
{
  const OsiChange *change;

  g_assert_false (osi_diff_is_empty (diff));

  /* sorted by name: alpha, beta, gamma, zeta */
  g_assert_cmpuint (osi_diff_get_changes (diff, OSI_DIFF_RAG)->len, ==, 4);
  assert_change (diff, OSI_DIFF_RAG, 0, OSI_CHANGE_REMOVED, "alpha");
  assert_change (diff, OSI_DIFF_RAG, 1, OSI_CHANGE_MODIFIED, "beta");
  assert_change (diff, OSI_DIFF_RAG, 2, OSI_CHANGE_MODIFIED, "gamma");
  assert_change (diff, OSI_DIFF_RAG, 3, OSI_CHANGE_ADDED, "zeta");
  assert_fields (change_at (diff, OSI_DIFF_RAG, 1), "description");
  assert_fields (change_at (diff, OSI_DIFF_RAG, 2), "details,keywords");
  g_assert_null (change_at (diff, OSI_DIFF_RAG, 0)->fields);
  g_assert_null (change_at (diff, OSI_DIFF_RAG, 3)->fields);
  g_assert_cmpint (change_at (diff, OSI_DIFF_RAG, 0)->size_a, ==, -1);
  g_assert_cmpuint (osi_diff_count (diff, OSI_DIFF_RAG, OSI_CHANGE_ADDED), ==, 1);
  g_assert_cmpuint (osi_diff_count (diff, OSI_DIFF_RAG, OSI_CHANGE_REMOVED), ==, 1);
  g_assert_cmpuint (osi_diff_count (diff, OSI_DIFF_RAG, OSI_CHANGE_MODIFIED), ==, 2);
  /* delta (written otherwise) and epsilon */
  g_assert_cmpuint (osi_diff_get_unchanged (diff, OSI_DIFF_RAG), ==, 2);

  g_assert_cmpuint (osi_diff_get_changes (diff, OSI_DIFF_CONFIG)->len, ==, 3);
  assert_change (diff, OSI_DIFF_CONFIG, 0, OSI_CHANGE_MODIFIED, "config/app.json");
  assert_change (diff, OSI_DIFF_CONFIG, 1, OSI_CHANGE_REMOVED, "config/old.json");
  assert_change (diff, OSI_DIFF_CONFIG, 2, OSI_CHANGE_ADDED, "config/prompts.yaml");
  change = change_at (diff, OSI_DIFF_CONFIG, 0);
  g_assert_cmpint (change->size_a, ==, strlen ("{\"model\": \"small\"}\n"));
  g_assert_cmpint (change->size_b, ==, strlen ("{\"model\": \"larger one\"}\n"));
  g_assert_null (change->fields);
  change = change_at (diff, OSI_DIFF_CONFIG, 1);
  g_assert_cmpint (change->size_a, ==, 3);
  g_assert_cmpint (change->size_b, ==, -1);
  change = change_at (diff, OSI_DIFF_CONFIG, 2);
  g_assert_cmpint (change->size_a, ==, -1);
  g_assert_cmpint (change->size_b, ==, strlen ("system: bonjour\n"));
  g_assert_cmpuint (osi_diff_get_unchanged (diff, OSI_DIFF_CONFIG), ==, 0);

  g_assert_cmpuint (osi_diff_get_changes (diff, OSI_DIFF_DATA)->len, ==, 0);
  g_assert_cmpuint (osi_diff_get_unchanged (diff, OSI_DIFF_DATA), ==, 1);
}

static void
test_directories (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiDiff) diff = osi_diff_compare (f->dir_a, f->dir_b, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (osi_diff_get_a (diff), ==, f->dir_a);
  g_assert_cmpstr (osi_diff_get_b (diff), ==, f->dir_b);
  assert_fixture_diff (diff);
}

/* zstd against gzip, and against a zip made entry by entry. */
static void
test_archives (Fixture       *f,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *zst = make_archive (f, f->dir_a, "a.tar.zst", OSI_COMPRESSION_ZSTD);
  g_autofree char *gz = make_archive (f, f->dir_b, "b.tar.gz", OSI_COMPRESSION_GZIP);
  g_autofree char *zip = g_build_filename (f->tmp, "b.zip", NULL);
  g_autofree char *app = NULL;
  g_autofree char *prompts = NULL;
  g_autofree char *guide = NULL;
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(OsiDiff) diff_zip = NULL;
  g_autoptr(OsiDiff) same = NULL;
  OsiTestEntry entries[] = {
    { "rag/search.json", AE_IFREG, rag_b, -1, NULL, FALSE },
    { "config/app.json", AE_IFREG, NULL, -1, NULL, FALSE },
    { "config/prompts.yaml", AE_IFREG, NULL, -1, NULL, FALSE },
    { "data/docs/guide.md", AE_IFREG, NULL, -1, NULL, FALSE },
  };

  diff = osi_diff_compare (zst, gz, NULL, &error);
  g_assert_no_error (error);
  assert_fixture_diff (diff);

  app = read_file (f->dir_b, "config/app.json");
  prompts = read_file (f->dir_b, "config/prompts.yaml");
  guide = read_file (f->dir_b, "data/docs/guide.md");
  entries[1].data = app;
  entries[2].data = prompts;
  entries[3].data = guide;
  osi_test_write_archive (zip, ARCHIVE_FILTER_NONE, ARCHIVE_FORMAT_ZIP, entries, G_N_ELEMENTS (entries), TRUE);
  diff_zip = osi_diff_compare (zst, zip, NULL, &error);
  g_assert_no_error (error);
  assert_fixture_diff (diff_zip);

  /* a backup against itself */
  same = osi_diff_compare (gz, gz, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (osi_diff_is_empty (same));
  g_assert_cmpuint (osi_diff_get_unchanged (same, OSI_DIFF_RAG), ==, 5);
  g_assert_cmpuint (osi_diff_get_unchanged (same, OSI_DIFF_CONFIG), ==, 2);
}

static void
test_archive_and_directory (Fixture       *f,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *zst_a = make_archive (f, f->dir_a, "a.tar.zst", OSI_COMPRESSION_ZSTD);
  g_autofree char *zst_b = make_archive (f, f->dir_b, "b.tar.zst", OSI_COMPRESSION_ZSTD);
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(OsiDiff) reverse = NULL;
  g_autoptr(OsiDiff) own = NULL;

  diff = osi_diff_compare (f->dir_a, zst_b, NULL, &error);
  g_assert_no_error (error);
  assert_fixture_diff (diff);

  g_clear_object (&diff);
  diff = osi_diff_compare (zst_a, f->dir_b, NULL, &error);
  g_assert_no_error (error);
  assert_fixture_diff (diff);

  /* B to A: what was added is removed and the other way round */
  reverse = osi_diff_compare (f->dir_b, zst_a, NULL, &error);
  g_assert_no_error (error);
  assert_change (reverse, OSI_DIFF_RAG, 0, OSI_CHANGE_ADDED, "alpha");
  assert_change (reverse, OSI_DIFF_RAG, 3, OSI_CHANGE_REMOVED, "zeta");
  assert_change (reverse, OSI_DIFF_CONFIG, 2, OSI_CHANGE_REMOVED, "config/prompts.yaml");

  /* A folder against its own backup */
  own = osi_diff_compare (f->dir_a, zst_a, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (osi_diff_is_empty (own));
}

/* A bare knowledge base (older backends) against another, and against a
 * full backup, which then has files the bare one has not. */
static void
test_bare_json (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json_a = g_build_filename (f->tmp, "backup_a.json", NULL);
  g_autofree char *json_b = g_build_filename (f->tmp, "backup_b.json", NULL);
  g_autofree char *zst_b = make_archive (f, f->dir_b, "b.tar.zst", OSI_COMPRESSION_ZSTD);
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(OsiDiff) mixed = NULL;

  g_file_set_contents (json_a, rag_a, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (json_b, rag_b, -1, &error);
  g_assert_no_error (error);

  diff = osi_diff_compare (json_a, json_b, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osi_diff_get_changes (diff, OSI_DIFF_RAG)->len, ==, 4);
  assert_fields (change_at (diff, OSI_DIFF_RAG, 2), "details,keywords");
  g_assert_cmpuint (osi_diff_get_changes (diff, OSI_DIFF_CONFIG)->len, ==, 0);
  g_assert_cmpuint (osi_diff_get_unchanged (diff, OSI_DIFF_CONFIG), ==, 0);

  mixed = osi_diff_compare (json_a, zst_b, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osi_diff_get_changes (mixed, OSI_DIFF_RAG)->len, ==, 4);
  g_assert_cmpuint (osi_diff_count (mixed, OSI_DIFF_CONFIG, OSI_CHANGE_ADDED), ==, 2);
  g_assert_cmpuint (osi_diff_count (mixed, OSI_DIFF_DATA, OSI_CHANGE_ADDED), ==, 1);
}

/* Formatting, key order, escapes and number spelling do not count; a
 * changed value, a field added or a type changed do. */
static void
test_canonical (Fixture       *f,
                gconstpointer  user_data)
{
  static const struct
  {
    const char *a;
    const char *b;
    const char *fields;   /* NULL: the same */
  } cases[] = {
    { "{\"k\": {\"name\": \"x\", \"links\": [1, 2]}}", "{ \"k\" :{\"links\":[1.0,2e0] ,\"name\":\"\\u0078\"} }", NULL },
    { "{\"k\": {\"details\": {\"a\": 1, \"b\": {\"c\": null, \"d\": true}}}}",
      "{\"k\": {\"details\": {\"b\": {\"d\": true, \"c\": null}, \"a\": 1}}}", NULL },
    { "{\"k\": {\"name\": \"😀\"}}", "{\"k\": {\"name\": \"\\ud83d\\ude00\"}}", NULL },
    { "{\"k\": {\"links\": [1, 2]}}", "{\"k\": {\"links\": [2, 1]}}", "links" },
    { "{\"k\": {\"name\": \"x\"}}", "{\"k\": {\"name\": \"x\", \"search\": \"y\"}}", "search" },
    { "{\"k\": {\"keywords\": \"1\"}}", "{\"k\": {\"keywords\": 1}}", "keywords" },
    { "{\"k\": {\"details\": {\"a\": [\"x\"]}}}", "{\"k\": {\"details\": {\"a\": [\"x\", \"\"]}}}", "details" },
    { "{\"k\": {\"details\": {}, \"name\": \"n\"}}", "{\"k\": {\"details\": [], \"name\": \"m\"}}", "details,name" },
    { "{\"k\": {\"name\": 1, \"name\": 2}}", "{\"k\": {\"name\": 3, \"name\": 4}}", "name" },
    { "{\"k\": {\"a\": 1}, \"k\": {\"a\": 2}}", "{\"k\": {\"a\": 2}}", NULL },
    /* Beyond gint64 (found by fuzz-diff: the conversion was undefined). */
    { "{\"k\": {\"search\": 7.77e99, \"links\": [-1e400, 1e19]}}",
      "{\"k\": {\"search\": 777e97, \"links\": [-1e400, 10000000000000000000]}}", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiDiff) diff = NULL;
      g_autofree char *dir = g_strdup_printf ("%s/case%u", f->tmp, i);
      g_autofree char *a = g_build_filename (dir, "a", NULL);
      g_autofree char *b = g_build_filename (dir, "b", NULL);

      write_file (a, "rag/search.json", cases[i].a);
      write_file (b, "rag/search.json", cases[i].b);
      diff = osi_diff_compare (a, b, NULL, &error);
      g_assert_no_error (error);
      if (cases[i].fields == NULL)
        {
          g_assert_true (osi_diff_is_empty (diff));
          g_assert_cmpuint (osi_diff_get_unchanged (diff, OSI_DIFF_RAG), ==, 1);
        }
      else
        {
          g_assert_cmpuint (osi_diff_get_changes (diff, OSI_DIFF_RAG)->len, ==, 1);
          assert_change (diff, OSI_DIFF_RAG, 0, OSI_CHANGE_MODIFIED, "k");
          assert_fields (change_at (diff, OSI_DIFF_RAG, 0), cases[i].fields);
        }
    }
}

/* A generated data folder against its own backup: every entry and file
 * unchanged, and as many entries as verification counts. */
static void
test_demo_data (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = osi_test_generate_data (f->tmp, 2 * 1024 * 1024, 11);
  g_autofree char *archive = make_archive (f, data, "demo.tar.zst", OSI_COMPRESSION_ZSTD);
  g_autoptr(OsiVerifyReport) report = osi_archive_verify (archive, NULL, NULL, &error);
  g_autoptr(OsiDiff) diff = NULL;
  GPtrArray *entries;
  guint files = 0;

  g_assert_no_error (error);
  diff = osi_diff_compare (data, archive, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (osi_diff_is_empty (diff));
  g_assert_cmpint (osi_diff_get_unchanged (diff, OSI_DIFF_RAG), ==, osi_verify_report_get_rag_entries (report));
  g_assert_cmpuint (osi_diff_get_unchanged (diff, OSI_DIFF_RAG), >, 10);

  entries = osi_verify_report_get_entries (report);
  for (guint i = 0; i < entries->len; i++)
    {
      const OsiFileEntry *entry = g_ptr_array_index (entries, i);

      if (!entry->is_dir && strcmp (entry->path, "rag/search.json") != 0)
        files++;
    }
  g_assert_cmpuint (osi_diff_get_unchanged (diff, OSI_DIFF_CONFIG) + osi_diff_get_unchanged (diff, OSI_DIFF_DATA),
                    ==, files);
}

/* Wherever a block of the stream ends, the same digests. */
static void
test_split (void)
{
  g_autofree char *first = NULL;
  gsize len = strlen (rag_b);
  guint n = 0;

  for (gsize split = 0; split <= len; split++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *fingerprint = osi_diff_fingerprint_knowledge_base ((const guint8 *)rag_b, len, split,
                                                                          &n, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, 5);
      if (first == NULL)
        first = g_steal_pointer (&fingerprint);
      else
        g_assert_cmpstr (fingerprint, ==, first);
    }
}

static void
assert_fails (const char *a,
              const char *b,
              GQuark      domain,
              int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiDiff) diff = osi_diff_compare (a, b, NULL, &error);

  g_assert_null (diff);
  g_assert_error (error, domain, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_test_message ("%s", error->message);
}

/* What cannot be compared is an error that says why, never a crash. */
static void
test_hostile (Fixture       *f,
              gconstpointer  user_data)
{
  static const char *const bad_rag[] = {
    "",
    "[1, 2]",
    "\"text\"",
    "{\"k\": {\"name\": \"x\"}",
    "{\"k\": {\"name\": \"x\"}} trailing",
    "{\"k\": {\"name\": \"x\"]}",
    "{\"k\" {\"name\": \"x\"}}",
    "{\"k\": {\"name\": \"\\q\"}}",
    "{\"k\": {\"name\": \"\\u12G4\"}}",
    "{\"k\": {\"name\": \"a\nb\"}}",
    "{\"k\": {\"name\": tru}}",
    "{\"k\": {\"name\": -}}",
    "{\"k\": {\"name\": 1e}}",
    "{\"\\u0000\": {}}",
    "{\"k\": {\"name\": \"x\"},}",
    "{,}",
    "\xef\xbb\xbf{}",
  };
  g_autofree char *good = g_build_filename (f->tmp, "good.tar.zst", NULL);
  g_autofree char *truncated = g_build_filename (f->tmp, "truncated.tar.zst", NULL);
  g_autofree char *random = g_build_filename (f->tmp, "random.tar.gz", NULL);
  g_autofree char *bad_json = g_build_filename (f->tmp, "bad.json", NULL);
  g_autofree char *deep_dir = g_build_filename (f->tmp, "deep", NULL);
  g_autofree char *empty_dir = g_build_filename (f->tmp, "empty", NULL);
  g_autofree char *missing = g_build_filename (f->tmp, "missing", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GString) deep = g_string_new ("{\"k\": ");
  gsize len;
  g_autoptr(GError) error = NULL;

  g_free (make_archive (f, f->dir_a, "good.tar.zst", OSI_COMPRESSION_ZSTD));

  /* a backup cut in the middle fails verification */
  g_file_get_contents (good, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (truncated, contents, (gssize)(len / 2), &error);
  g_assert_no_error (error);
  assert_fails (f->dir_a, truncated, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED);
  assert_fails (truncated, f->dir_a, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED);

  for (gsize i = 0; i < len; i++)
    contents[i] = (char)(g_random_int () & 0xff);
  g_file_set_contents (random, contents, (gssize)len, &error);
  g_assert_no_error (error);
  assert_fails (random, good, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED);

  /* a bare knowledge base that is not JSON */
  g_file_set_contents (bad_json, "{\"k\": [", -1, &error);
  g_assert_no_error (error);
  assert_fails (bad_json, good, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED);

  /* a data folder whose knowledge base is broken in many ways */
  for (guint i = 0; i < G_N_ELEMENTS (bad_rag); i++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/bad%u", f->tmp, i);

      write_file (dir, "rag/search.json", bad_rag[i]);
      assert_fails (dir, f->dir_b, OSI_ERROR, OSI_ERROR_INVALID_DATA);
      assert_fails (f->dir_b, dir, OSI_ERROR, OSI_ERROR_INVALID_DATA);
    }

  /* nested far deeper than any knowledge base */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  write_file (deep_dir, "rag/search.json", deep->str);
  assert_fails (deep_dir, f->dir_a, OSI_ERROR, OSI_ERROR_INVALID_DATA);

  /* a FIFO where a file should be: refused, not waited on */
  {
    g_autofree char *fifo_dir = g_build_filename (f->tmp, "fifo", NULL);
    g_autofree char *fifo = g_build_filename (fifo_dir, "rag", "search.json", NULL);
    g_autofree char *config_fifo = g_build_filename (f->dir_b, "config", "pipe", NULL);

    write_file (fifo_dir, "rag/placeholder", "");
    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    assert_fails (fifo_dir, f->dir_a, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
    /* elsewhere it is left out, as a backup leaves it out */
    g_assert_cmpint (mkfifo (config_fifo, 0600), ==, 0);
    {
      g_autoptr(OsiDiff) diff = osi_diff_compare (f->dir_a, f->dir_b, NULL, &error);

      g_assert_no_error (error);
      assert_fixture_diff (diff);
    }
    g_assert_cmpint (g_unlink (config_fifo), ==, 0);
  }

  /* neither a backup nor a data folder */
  g_assert_cmpint (g_mkdir (empty_dir, 0755), ==, 0);
  assert_fails (empty_dir, f->dir_a, OSI_ERROR, OSI_ERROR_INVALID_DATA);
  assert_fails (f->dir_a, missing, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  assert_fails ("/dev/null", f->dir_a, OSI_ERROR, OSI_ERROR_INVALID_DATA);
}

/* A folder's file names need not be UTF-8; the comparison is text. */
static void
test_file_names (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  write_file (f->dir_b, "data/caf\xe9.txt", "latin-1 name\n");
  diff = osi_diff_compare (f->dir_a, f->dir_b, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osi_diff_count (diff, OSI_DIFF_DATA, OSI_CHANGE_ADDED), ==, 1);
  g_assert_true (g_utf8_validate (change_at (diff, OSI_DIFF_DATA, 0)->name, -1, NULL));
  node = osi_diff_to_json (diff);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_assert_true (g_utf8_validate (text, -1, NULL));
}

/* For a server whose data folder is missing or empty, everything in the
 * backup is new. */
static void
test_missing_current (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autofree char *missing = g_build_filename (f->tmp, "missing", NULL);
  g_autofree char *empty = g_build_filename (f->tmp, "empty", NULL);
  const char *currents[] = { missing, empty };

  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (currents); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiDiff) diff = osi_diff_compare_full (currents[i], f->dir_b, OSI_DIFF_MISSING_A_IS_EMPTY, NULL,
                                                       NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (osi_diff_count (diff, OSI_DIFF_RAG, OSI_CHANGE_ADDED), ==, 5);
      g_assert_cmpuint (osi_diff_count (diff, OSI_DIFF_CONFIG, OSI_CHANGE_ADDED), ==, 2);
      g_assert_cmpuint (osi_diff_count (diff, OSI_DIFF_DATA, OSI_CHANGE_ADDED), ==, 1);
      g_assert_cmpuint (osi_diff_get_unchanged (diff, OSI_DIFF_RAG), ==, 0);
    }
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* The JSON of docs/api.md §3.9 and back, as the client reads it. */
static void
test_json (Fixture       *f,
           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiDiff) diff = osi_diff_compare (f->dir_a, f->dir_b, NULL, &error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(OsiDiff) back = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  g_autofree char *summary = NULL;
  JsonObject *root;
  JsonObject *rag;
  JsonObject *config;
  JsonArray *changes;
  JsonObject *change;
  static const char *const bad[] = {
    "[]",
    "{}",
    "{\"rag\": {\"changes\": []}, \"config\": {\"changes\": []}}",
    "{\"rag\": {\"changes\": [1]}, \"config\": {\"changes\": []}, \"data\": {\"changes\": []}}",
    "{\"rag\": {\"changes\": [{\"name\": \"x\", \"change\": \"renamed\"}]}, \"config\": {\"changes\": []}, "
    "\"data\": {\"changes\": []}}",
  };

  g_assert_no_error (error);
  node = osi_diff_to_json (diff);
  root = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (root, "a"), ==, f->dir_a);
  g_assert_cmpstr (json_object_get_string_member (root, "b"), ==, f->dir_b);
  summary = osi_diff_describe_restore (diff);
  g_assert_cmpstr (json_object_get_string_member (root, "summary"), ==, summary);

  rag = json_object_get_object_member (root, "rag");
  g_assert_cmpint (json_object_get_int_member (rag, "added"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (rag, "removed"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (rag, "modified"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (rag, "unchanged"), ==, 2);
  changes = json_object_get_array_member (rag, "changes");
  g_assert_cmpuint (json_array_get_length (changes), ==, 4);
  change = json_array_get_object_element (changes, 0);
  g_assert_cmpstr (json_object_get_string_member (change, "name"), ==, "alpha");
  g_assert_cmpstr (json_object_get_string_member (change, "change"), ==, "removed");
  g_assert_false (json_object_has_member (change, "fields"));
  g_assert_false (json_object_has_member (change, "size_a"));
  change = json_array_get_object_element (changes, 2);
  g_assert_cmpstr (json_object_get_string_member (change, "change"), ==, "modified");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (change, "fields")), ==, 2);

  config = json_object_get_object_member (root, "config");
  changes = json_object_get_array_member (config, "changes");
  change = json_array_get_object_element (changes, 1);
  g_assert_cmpstr (json_object_get_string_member (change, "name"), ==, "config/old.json");
  g_assert_cmpint (json_object_get_int_member (change, "size_a"), ==, 3);
  g_assert_false (json_object_has_member (change, "size_b"));
  g_assert_false (json_object_has_member (change, "fields"));
  g_assert_true (json_object_has_member (root, "data"));

  /* through text, as over HTTP */
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  again = parse (text);
  back = osi_diff_new_from_json (again, &error);
  g_assert_no_error (error);
  assert_fixture_diff (back);
  g_clear_pointer (&again, json_node_unref);
  again = osi_diff_to_json (back);
  g_assert_true (json_node_equal (node, again));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) bad_node = parse (bad[i]);
      g_autoptr(OsiDiff) none = osi_diff_new_from_json (bad_node, &error);

      g_assert_null (none);
      g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }
}

/* A diff of given counts, through the JSON the client reads. */
static OsiDiff *
diff_with_counts (guint rag_removed,
                  guint rag_added,
                  guint rag_modified,
                  guint config_modified)
{
  g_autoptr(GString) json = g_string_new ("{\"a\": \"current\", \"b\": \"backup.tar.zst\", \"rag\": {\"changes\": [");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  OsiDiff *diff;
  guint n = 0;

  for (guint i = 0; i < rag_removed + rag_added + rag_modified; i++)
    {
      const char *kind = i < rag_removed ? "removed" : i < rag_removed + rag_added ? "added" : "modified";

      g_string_append_printf (json, "%s{\"name\": \"e%05u\", \"change\": \"%s\"}", n++ ? "," : "", i, kind);
    }
  g_string_append (json, "]}, \"config\": {\"changes\": [");
  for (guint i = 0; i < config_modified; i++)
    g_string_append_printf (json, "%s{\"name\": \"config/f%u\", \"change\": \"modified\", \"size_a\": 1, "
                            "\"size_b\": 2}", i ? "," : "", i);
  g_string_append (json, "]}, \"data\": {\"changes\": []}}");

  node = parse (json->str);
  diff = osi_diff_new_from_json (node, &error);
  g_assert_no_error (error);
  return diff;
}

static char *
describe (guint rag_removed,
          guint rag_added,
          guint rag_modified,
          guint config_modified)
{
  g_autoptr(OsiDiff) diff = diff_with_counts (rag_removed, rag_added, rag_modified, config_modified);

  return osi_diff_describe_restore (diff);
}

#define ASSERT_DESCRIBE(r, a, m, c, expected) \
  G_STMT_START { \
    g_autofree char *text_ = describe (r, a, m, c); \
    g_assert_cmpstr (text_, ==, expected); \
  } G_STMT_END

static void
test_describe_english (void)
{
  ASSERT_DESCRIBE (12, 3, 40, 0, "This restore will remove 12 entries, add 3 and modify 40.");
  ASSERT_DESCRIBE (1, 0, 0, 0, "This restore will remove 1 entry.");
  ASSERT_DESCRIBE (0, 1, 2, 0, "This restore will add 1 entry and modify 2.");
  ASSERT_DESCRIBE (0, 0, 0, 0, "This restore will change nothing: the backup holds the same data as now.");
  ASSERT_DESCRIBE (0, 0, 0, 1, "This restore will not change the knowledge base. "
                               "This restore will modify 1 configuration file.");
  ASSERT_DESCRIBE (2, 0, 0, 3, "This restore will remove 2 entries. "
                               "This restore will modify 3 configuration files.");
}

static void
test_describe_french (void)
{
  char *saved = osi_test_use_french ();
  const char *english = "This restore will %s.";

  if (saved == NULL)
    return;
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, english), !=, english);

  ASSERT_DESCRIBE (12, 3, 40, 0, "Cette restauration retirera 12 entrées, en ajoutera 3, en modifiera 40.");
  ASSERT_DESCRIBE (1, 1, 1, 0, "Cette restauration retirera 1 entrée, en ajoutera 1, en modifiera 1.");
  ASSERT_DESCRIBE (0, 2, 1, 0, "Cette restauration ajoutera 2 entrées et en modifiera 1.");
  ASSERT_DESCRIBE (0, 0, 1, 0, "Cette restauration modifiera 1 entrée.");
  ASSERT_DESCRIBE (0, 0, 0, 0, "Cette restauration ne changera rien : la sauvegarde contient les mêmes données "
                               "qu’actuellement.");
  ASSERT_DESCRIBE (0, 0, 0, 2, "Cette restauration ne changera pas la base de connaissances. "
                               "Cette restauration modifiera 2 fichiers de configuration.");
  osi_test_restore_locale (saved);
}

static void
compared (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  OsiDiff **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = osi_diff_compare_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_async (Fixture       *f,
            gconstpointer  user_data)
{
  g_autoptr(OsiDiff) diff = NULL;

  osi_diff_compare_async (f->dir_a, f->dir_b, NULL, compared, &diff);
  while (diff == NULL)
    g_main_context_iteration (NULL, TRUE);
  assert_fixture_diff (diff);
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiDiff) diff = NULL;

  g_cancellable_cancel (cancellable);
  diff = osi_diff_compare (f->dir_a, f->dir_b, cancellable, &error);
  g_assert_null (diff);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/diff/directories", Fixture, NULL, fixture_setup, test_directories, fixture_teardown);
  g_test_add ("/diff/archives", Fixture, NULL, fixture_setup, test_archives, fixture_teardown);
  g_test_add ("/diff/archive-and-directory", Fixture, NULL, fixture_setup, test_archive_and_directory,
              fixture_teardown);
  g_test_add ("/diff/bare-json", Fixture, NULL, fixture_setup, test_bare_json, fixture_teardown);
  g_test_add ("/diff/canonical", Fixture, NULL, fixture_setup, test_canonical, fixture_teardown);
  g_test_add ("/diff/demo-data", Fixture, NULL, fixture_setup, test_demo_data, fixture_teardown);
  g_test_add ("/diff/hostile", Fixture, NULL, fixture_setup, test_hostile, fixture_teardown);
  g_test_add ("/diff/json", Fixture, NULL, fixture_setup, test_json, fixture_teardown);
  g_test_add ("/diff/file-names", Fixture, NULL, fixture_setup, test_file_names, fixture_teardown);
  g_test_add ("/diff/missing-current", Fixture, NULL, fixture_setup, test_missing_current, fixture_teardown);
  g_test_add_func ("/diff/split", test_split);
  g_test_add_func ("/diff/describe/english", test_describe_english);
  g_test_add_func ("/diff/describe/french", test_describe_french);
  g_test_add ("/diff/async", Fixture, NULL, fixture_setup, test_async, fixture_teardown);
  g_test_add ("/diff/cancelled", Fixture, NULL, fixture_setup, test_cancelled, fixture_teardown);

  return g_test_run ();
}
