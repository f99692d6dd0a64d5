/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-test"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "osi-archive.h"
#include "osi-demo-data.h"
#include "osi-test-support.h"

#define MIB (G_GUINT64_CONSTANT (1024) * 1024)

/* ------------------------------------------------------------------------ */
/* Helpers. Self-contained so the test builds with nothing but the
 * generator. */

static void
rm_rf (const char *path)
{
  GStatBuf st;

  /* lstat: never follow a link out of the temporary tree. */
  if (g_lstat (path, &st) != 0)
    return;

  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          rm_rf (child);
        }
      g_rmdir (path);
    }
  else
    {
      g_unlink (path);
    }
}

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("osi-demo-data-XXXXXX", &error);

  g_assert_no_error (error);
  g_assert_nonnull (dir);
  return dir;
}

static char *
generate (const char *parent,
          const char *name,
          guint64     size,
          guint32     seed)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_build_filename (parent, name, NULL);
  gboolean ok;

  ok = osi_demo_data_generate (dir, size, seed, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return dir;
}

/* Relative paths of the regular files under root, sorted, and their total
 * size. Anything that is neither a file nor a folder fails the test. */
static void
collect_files (const char *root,
               const char *rel,
               GPtrArray  *out,
               guint64    *total)
{
  g_autofree char *path = rel != NULL ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  const char *name;

  g_assert_no_error (error);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_rel = rel != NULL ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *child = g_build_filename (root, child_rel, NULL);
      GStatBuf st;

      g_assert_cmpint (g_lstat (child, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        {
          collect_files (root, child_rel, out, total);
        }
      else
        {
          g_assert_true (S_ISREG (st.st_mode));
          g_ptr_array_add (out, g_steal_pointer (&child_rel));
          if (total != NULL)
            *total += (guint64) st.st_size;
        }
    }

  if (rel == NULL)
    g_ptr_array_sort (out, osi_test_compare_strings);
}

static GBytes *
read_file (const char *dir,
           const char *rel)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

static guint64
file_size (const char *dir,
           const char *rel)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  return (guint64) st.st_size;
}

static gsize
deflated_size (const guint8 *data,
               gsize         len)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW, 6);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) stream = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (stream, data, len, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (stream, NULL, &error);
  g_assert_no_error (error);
  return g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (memory));
}

static void
assert_total_near (const char *dir,
                   guint64     requested)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  guint64 total = 0;

  collect_files (dir, NULL, files, &total);
  g_assert_cmpuint (total, >=, requested - requested * 15 / 100);
  g_assert_cmpuint (total, <=, requested + requested * 15 / 100);

  /* Half text, half noise. */
  g_assert_cmpuint (file_size (dir, "rag/search.json"), >=, requested * 35 / 100);
  g_assert_cmpuint (file_size (dir, "rag/search.json"), <=, requested * 65 / 100);
  g_assert_cmpuint (file_size (dir, "data/embeddings.bin"), >=, requested * 35 / 100);
  g_assert_cmpuint (file_size (dir, "data/embeddings.bin"), <=, requested * 65 / 100);
}

static void
assert_string_member (JsonObject *object,
                      const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    g_error ("member “%s” missing or not a string", member);
}

static void
assert_int_member (JsonObject *object,
                   const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    g_error ("member “%s” missing or not an integer", member);
}

static JsonArray *
get_array_member (JsonObject *object,
                  const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    g_error ("member “%s” missing or not an array", member);
  return json_node_get_array (node);
}

static JsonObject *
get_object_element (JsonArray *array,
                    guint      i)
{
  JsonNode *node = json_array_get_element (array, i);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static void
assert_string_array (JsonObject *object,
                     const char *member,
                     const char *prefix)
{
  JsonArray *array = get_array_member (object, member);

  g_assert_cmpuint (json_array_get_length (array), >, 0);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      g_assert_true (JSON_NODE_HOLDS_VALUE (node));
      g_assert_true (json_node_get_value_type (node) == G_TYPE_STRING);
      g_assert_cmpstr (json_node_get_string (node), !=, "");
      if (prefix != NULL)
        g_assert_true (g_str_has_prefix (json_node_get_string (node), prefix));
    }
}

static void
assert_message (JsonObject *message)
{
  JsonArray *bubbles;
  JsonArray *buttons;
  JsonNode *open_question;

  assert_string_member (message, "Label");
  assert_string_member (message, "Description");

  bubbles = get_array_member (message, "Bubbles");
  g_assert_cmpuint (json_array_get_length (bubbles), >, 0);
  for (guint i = 0; i < json_array_get_length (bubbles); i++)
    {
      JsonObject *bubble = get_object_element (bubbles, i);

      assert_string_member (bubble, "Text");
      assert_string_member (bubble, "Image");
      assert_string_member (bubble, "Video");
      assert_int_member (bubble, "Order");
      g_assert_cmpint (json_object_get_int_member (bubble, "Order"), ==, i + 1);
    }

  buttons = get_array_member (message, "Buttons");
  for (guint i = 0; i < json_array_get_length (buttons); i++)
    {
      JsonObject *button = get_object_element (buttons, i);

      assert_string_member (button, "Label");
      assert_string_member (button, "Link");
      assert_string_member (button, "Type");
      assert_int_member (button, "Order");
    }

  get_array_member (message, "Actions");
  get_array_member (message, "Cards");

  open_question = json_object_get_member (message, "OpenQuestion");
  g_assert_nonnull (open_question);
  g_assert_true (json_node_get_value_type (open_question) == G_TYPE_BOOLEAN);
  assert_string_member (message, "OpenQuestionLink");
}

/* Parses rag/search.json and checks every entry against docs/archive-format.md §6;
 * returns the number of entries. */
static guint
assert_knowledge_base (const char *dir)
{
  static const char *const entry_keys[] = {
    "name", "description", "search", "keywords", "links", "details",
  };
  g_autofree char *path = g_build_filename (dir, "rag", "search.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) names = NULL;
  JsonObject *root;
  guint count = 0;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  root = json_node_get_object (json_parser_get_root (parser));

  names = json_object_get_members (root);
  for (GList *l = names; l != NULL; l = l->next, count++)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (root, name);
      JsonObject *entry;
      JsonObject *details;
      JsonArray *messages;

      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      entry = json_node_get_object (node);
      g_assert_cmpuint (json_object_get_size (entry), ==, G_N_ELEMENTS (entry_keys));
      for (guint i = 0; i < G_N_ELEMENTS (entry_keys); i++)
        g_assert_true (json_object_has_member (entry, entry_keys[i]));

      assert_string_member (entry, "name");
      g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, name);
      assert_string_member (entry, "description");
      assert_string_member (entry, "search");
      assert_string_array (entry, "keywords", NULL);
      assert_string_array (entry, "links", "https://");

      g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (entry, "details")));
      details = json_object_get_object_member (entry, "details");
      assert_string_member (details, "Name");
      g_assert_cmpstr (json_object_get_string_member (details, "Name"), ==, name);
      assert_string_member (details, "Label");

      messages = get_array_member (details, "Messages");
      g_assert_cmpuint (json_array_get_length (messages), >, 0);
      for (guint i = 0; i < json_array_get_length (messages); i++)
        assert_message (get_object_element (messages, i));
    }

  return count;
}

/* ------------------------------------------------------------------------ */
/* Tests. */

static void
test_layout (void)
{
  static const char *const expected[] = {
    "config/.env.example",
    "config/prompts.yaml",
    "config/system.json",
    "config/users.json",
    "data/documents/Règlement intérieur.md",
    "data/documents/brouillon.txt",
    "data/documents/faq-bourses.md",
    "data/documents/guide-de-rentree.txt",
    "data/embeddings.bin",
    "rag/search.json",
  };
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *dir = generate (tmp, "osi", MIB, 42);
  g_autofree char *uploads = g_build_filename (dir, "data", "uploads", NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) uploads_dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *configs[] = { "config/system.json", "config/users.json" };

  /* Exactly these files: in particular no temporary left behind. */
  collect_files (dir, NULL, files, NULL);
  g_assert_cmpuint (files->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (g_ptr_array_index (files, i), ==, expected[i]);

  g_assert_cmpuint (file_size (dir, "data/documents/brouillon.txt"), ==, 0);
  g_assert_cmpuint (file_size (dir, "config/.env.example"), >, 0);
  g_assert_cmpuint (file_size (dir, "data/documents/Règlement intérieur.md"), >, 0);

  g_assert_true (g_file_test (uploads, G_FILE_TEST_IS_DIR));
  uploads_dir = g_dir_open (uploads, 0, &error);
  g_assert_no_error (error);
  g_assert_null (g_dir_read_name (uploads_dir));

  assert_total_near (dir, MIB);

  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autofree char *path = g_build_filename (dir, configs[i], NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();

      json_parser_load_from_file (parser, path, &error);
      g_assert_no_error (error);
    }

  rm_rf (tmp);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
}

static void
test_knowledge_base (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *dir = generate (tmp, "osi", MIB, 42);
  g_autoptr(GBytes) bytes = read_file (dir, "rag/search.json");
  gsize len = 0;
  const char *text = g_bytes_get_data (bytes, &len);
  g_autofree char *copy = g_strndup (text, len);
  static const char *const french[] = { "é", "è", "à", "ç", "ô", "œ", "’", "«", "\u00a0" };

  g_assert_cmpuint (assert_knowledge_base (dir), >=, 5);

  /* Laid out as json.dump (indent=2, ensure_ascii=False) would. */
  g_assert_true (g_str_has_prefix (copy, "{\n  \""));
  g_assert_true (g_str_has_suffix (copy, "\n  }\n}"));
  g_assert_nonnull (strstr (copy, "\n    \"details\": {\n      \"Name\": \""));
  g_assert_nonnull (strstr (copy, "\"Actions\": [],\n"));
  g_assert_null (strstr (copy, "\\u"));

  for (guint i = 0; i < G_N_ELEMENTS (french); i++)
    if (strstr (copy, french[i]) == NULL)
      g_error ("no “%s” in the generated text", french[i]);

  /* Escapes are exercised, not just avoided. */
  g_assert_nonnull (strstr (copy, "\\\""));
  g_assert_nonnull (strstr (copy, "\\n"));

  rm_rf (tmp);
}

static void
test_large (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *dir = generate (tmp, "osi", 8 * MIB, 1);
  g_autoptr(GBytes) bytes = read_file (dir, "rag/search.json");
  gsize len = 0;
  const char *text = g_bytes_get_data (bytes, &len);

  assert_total_near (dir, 8 * MIB);

  /* Too big to be worth a DOM parse here; the small sizes check the schema,
   * and the layout is the same code. */
  g_assert_true (g_utf8_validate_len (text, len, NULL));
  g_assert_cmpint (memcmp (text, "{\n  \"", 5), ==, 0);
  g_assert_cmpint (memcmp (text + len - 6, "\n  }\n}", 6), ==, 0);
  g_assert_null (memchr (text, '\0', len));

  rm_rf (tmp);
}

static void
test_deterministic (void)
{
  static const char *const varying[] = {
    "rag/search.json", "data/embeddings.bin", "config/users.json",
    "data/documents/Règlement intérieur.md",
  };
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *a = generate (tmp, "a", MIB, 7);
  g_autofree char *b = generate (tmp, "b", MIB, 7);
  g_autofree char *c = generate (tmp, "c", MIB, 8);
  g_autoptr(GPtrArray) files_a = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) files_b = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  /* Generating over an existing tree replaces it with the same bytes. */
  g_assert_true (osi_demo_data_generate (a, MIB, 7, NULL, &error));
  g_assert_no_error (error);

  collect_files (a, NULL, files_a, NULL);
  collect_files (b, NULL, files_b, NULL);
  g_assert_cmpuint (files_a->len, ==, files_b->len);
  for (guint i = 0; i < files_a->len; i++)
    {
      const char *rel = g_ptr_array_index (files_a, i);
      g_autoptr(GBytes) bytes_a = read_file (a, rel);
      g_autoptr(GBytes) bytes_b = read_file (b, rel);

      g_assert_cmpstr (rel, ==, g_ptr_array_index (files_b, i));
      if (!g_bytes_equal (bytes_a, bytes_b))
        g_error ("“%s” differs between two runs with the same seed", rel);
    }

  for (guint i = 0; i < G_N_ELEMENTS (varying); i++)
    {
      g_autoptr(GBytes) bytes_a = read_file (a, varying[i]);
      g_autoptr(GBytes) bytes_c = read_file (c, varying[i]);

      if (g_bytes_equal (bytes_a, bytes_c))
        g_error ("“%s” is the same for two different seeds", varying[i]);
    }

  rm_rf (tmp);
}

static void
test_compressibility (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *dir = generate (tmp, "osi", MIB, 3);
  g_autoptr(GBytes) noise = read_file (dir, "data/embeddings.bin");
  g_autoptr(GBytes) text = read_file (dir, "rag/search.json");
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (noise, &len);
  guint64 histogram[256] = { 0 };
  double expected;
  double chi2 = 0;
  gsize text_len = g_bytes_get_size (text);
  gsize text_packed;

  g_assert_cmpuint (len, >, 100000);

  /* Deflate cannot find anything to squeeze. */
  g_assert_cmpuint (deflated_size (data, len), >=, len - len / 100);

  /* A flat byte histogram: chi-square with 255 degrees of freedom has mean
   * 255 and standard deviation about 22.6, so 400 is far out in the tail. */
  for (gsize i = 0; i < len; i++)
    histogram[data[i]]++;
  expected = (double) len / 256;
  for (guint i = 0; i < 256; i++)
    chi2 += ((double) histogram[i] - expected) * ((double) histogram[i] - expected) / expected;
  g_test_message ("embeddings: chi-square %.1f over %" G_GSIZE_FORMAT " bytes", chi2, len);
  g_assert_cmpfloat (chi2, <, 400.0);

  /* The knowledge base compresses like text: some, but not like a run of
   * the same bytes. */
  text_packed = deflated_size (g_bytes_get_data (text, NULL), text_len);
  g_test_message ("search.json: deflate ratio %.2f", (double) text_len / (double) text_packed);
  g_assert_cmpuint (text_packed, <, text_len / 2);
  g_assert_cmpuint (text_packed, >, text_len / 12);

  rm_rf (tmp);
}

static void
test_tiny (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *dir = generate (tmp, "nested/folder", 0, 5);

  /* Even with nothing to spend, a usable knowledge base, and no noise. */
  g_assert_cmpuint (assert_knowledge_base (dir), >=, 5);
  g_assert_cmpuint (file_size (dir, "data/embeddings.bin"), ==, 0);

  rm_rf (tmp);
}

/* A knowledge base alone, of an exact number of entries: the same entries
 * as a data folder of that seed begins with. */
static void
test_entry_count (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *dir = generate (tmp, "osi", 0, 9);
  g_autofree char *alone = g_build_filename (tmp, "alone", NULL);
  g_autofree char *path = g_build_filename (alone, "rag", "search.json", NULL);
  g_autofree char *rag_dir = g_path_get_dirname (path);
  g_autofree char *full = NULL;
  g_autofree char *part = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;

  g_assert_cmpint (g_mkdir_with_parents (rag_dir, 0700), ==, 0);
  g_assert_true (osi_demo_data_write_knowledge_base (path, 3, 9, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (assert_knowledge_base (alone), ==, 3);

  /* entries 1 to 3 of the full folder's knowledge base, byte for byte */
  g_assert_true (g_file_get_contents (path, &part, &len, NULL));
  g_free (path);
  path = g_build_filename (dir, "rag", "search.json", NULL);
  g_assert_true (g_file_get_contents (path, &full, NULL, NULL));
  g_assert_cmpint (strncmp (full, part, len - 2), ==, 0);

  rm_rf (tmp);
}

static void
test_cancelled (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *dir = g_build_filename (tmp, "osi", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_cancellable_cancel (cancellable);
  ok = osi_demo_data_generate (dir, 4 * MIB, 1, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ok);

  /* Folders may exist, but neither a file nor a temporary. */
  collect_files (dir, NULL, files, NULL);
  g_assert_cmpuint (files->len, ==, 0);

  rm_rf (tmp);
}

static void
test_error (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *file = g_build_filename (tmp, "plain-file", NULL);
  g_autofree char *dir = g_build_filename (file, "osi", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_file_set_contents (file, "x", 1, &error);
  g_assert_no_error (error);

  ok = osi_demo_data_generate (dir, MIB, 1, NULL, &error);
  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  /* The sentence, then the system's reason, as every file error says it. */
  expected = g_strdup_printf ("Cannot create the folder “%s/rag”: %s", dir, g_strerror (ENOTDIR));
  g_assert_cmpstr (error->message, ==, expected);

  rm_rf (tmp);
}

/* ------------------------------------------------------------------------ */
/* Demo backups. */

typedef struct
{
  char   *name;
  gint64  time;    /* from the name */
  gint64  mtime;
  gint64  size;
  guint   mode;
} Backup;

static void
backup_clear (gpointer data)
{
  Backup *b = data;

  g_free (b->name);
}

/* The time a backup_YYYYMMDD_HHMMSS.tar.zst name says, or -1. */
static gint64
name_time (const char *name)
{
  g_autoptr(GRegex) regex = g_regex_new ("^backup_(\\d{4})(\\d{2})(\\d{2})"
                                         "_(\\d{2})(\\d{2})(\\d{2})\\.tar\\.zst$",
                                         0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GDateTime) date = NULL;
  int f[6];

  if (!g_regex_match (regex, name, 0, &match))
    return -1;
  for (guint i = 0; i < G_N_ELEMENTS (f); i++)
    {
      g_autofree char *digits = g_match_info_fetch (match, i + 1);

      f[i] = (int) g_ascii_strtoll (digits, NULL, 10);
    }
  date = g_date_time_new_utc (f[0], f[1], f[2], f[3], f[4], f[5]);
  return date != NULL ? g_date_time_to_unix (date) : -1;
}

static int
compare_backups_newest_first (gconstpointer a,
                              gconstpointer b)
{
  const Backup *ba = a;
  const Backup *bb = b;

  return ba->time < bb->time ? 1 : ba->time > bb->time ? -1 : 0;
}

/* Everything in dir, which must all be backups: no temporary left behind. */
static GArray *
list_backups (const char *dir)
{
  GArray *backups = g_array_new (FALSE, TRUE, sizeof (Backup));
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  const char *name;

  g_assert_no_error (error);
  g_array_set_clear_func (backups, backup_clear);

  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      Backup b = { 0 };
      GStatBuf st;

      b.time = name_time (name);
      if (b.time < 0)
        g_error ("“%s” is not a backup name", name);
      g_assert_cmpint (g_lstat (path, &st), ==, 0);
      g_assert_true (S_ISREG (st.st_mode));
      b.name = g_strdup (name);
      b.mtime = st.st_mtime;
      b.size = st.st_size;
      b.mode = st.st_mode & 0777;
      g_array_append_val (backups, b);
    }

  g_array_sort (backups, compare_backups_newest_first);
  return backups;
}

static GArray *
populate (const char *parent,
          const char *name,
          guint       count,
          GDateTime  *newest,
          guint32     seed)
{
  g_autofree char *dir = g_build_filename (parent, name, NULL);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = osi_demo_backups_populate (dir, count, newest, seed, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return list_backups (dir);
}

static void
test_backups (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *dir = g_build_filename (tmp, "nested", "backups", NULL);
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 11, 26, 10, 15, 42.5);
  g_autoptr(GArray) backups = populate (tmp, "nested/backups", 57, newest, 3);
  g_autoptr(GHashTable) sizes = g_hash_table_new (g_int64_hash, g_int64_equal);

  g_assert_cmpuint (backups->len, ==, 57);
  /* The first is the newest given, to the second. */
  g_assert_cmpstr (g_array_index (backups, Backup, 0).name, ==, "backup_20261126_101542.tar.zst");

  for (guint i = 0; i < backups->len; i++)
    {
      Backup *b = &g_array_index (backups, Backup, i);
      g_autofree char *path = g_build_filename (dir, b->name, NULL);
      g_autoptr(OsiVerifyReport) report = NULL;
      g_autoptr(GError) error = NULL;

      /* Sorted by the name's time: equal neighbours would be a duplicate. */
      if (i > 0)
        g_assert_cmpint (b->time, <, g_array_index (backups, Backup, i - 1).time);
      g_assert_cmpint (b->mtime, ==, b->time);
      g_assert_cmpuint (b->mode & 077, ==, 0);
      g_hash_table_add (sizes, &b->size);

      report = osi_archive_verify (path, NULL, NULL, &error);
      g_assert_no_error (error);
      if (osi_verify_report_get_verdict (report) != OSI_VERDICT_RESTORABLE)
        g_error ("%s does not verify", b->name);
      g_assert_cmpint (osi_verify_report_get_rag_entries (report), >=, 5);
    }

  /* Several contents, growing with time. */
  g_assert_cmpuint (g_hash_table_size (sizes), >=, 3);
  g_assert_cmpint (g_array_index (backups, Backup, 0).size, >,
                   g_array_index (backups, Backup, backups->len - 1).size);

  rm_rf (tmp);
}

static void
test_backups_dates (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 3, 1, 8, 0, 0);
  g_autoptr(GArray) backups = populate (tmp, "backups", 40, newest, 1);
  gint64 span;
  guint hours = 0;
  gboolean hour_seen[24] = { FALSE };
  gboolean same_day = FALSE;

  g_assert_cmpuint (backups->len, ==, 40);

  span = g_array_index (backups, Backup, 0).time - g_array_index (backups, Backup, 39).time;
  g_test_message ("40 backups over %.1f days", span / 86400.0);
  g_assert_cmpint (span, >, 60 * 86400);
  g_assert_cmpint (span, <, 240 * 86400);

  for (guint i = 0; i < backups->len; i++)
    {
      Backup *b = &g_array_index (backups, Backup, i);
      g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (b->time);
      int hour = g_date_time_get_hour (date);

      if (!hour_seen[hour])
        hours++;
      hour_seen[hour] = TRUE;

      if (i > 0)
        {
          gint64 gap = g_array_index (backups, Backup, i - 1).time - b->time;

          g_assert_cmpint (gap, >=, 3600);
          g_assert_cmpint (gap, <=, 10 * 86400);
          same_day |= gap < 86400;
        }
    }

  /* Irregular: times of day vary, and some backups come hours apart. */
  g_assert_cmpuint (hours, >=, 8);
  g_assert_true (same_day);

  rm_rf (tmp);
}

static void
test_backups_deterministic (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 6, 30, 23, 59, 59);
  g_autoptr(GArray) a = populate (tmp, "a", 20, newest, 9);
  g_autoptr(GArray) b = populate (tmp, "b", 20, newest, 9);
  g_autoptr(GArray) c = populate (tmp, "c", 20, newest, 10);
  gboolean differ = FALSE;

  g_assert_cmpuint (a->len, ==, 20);
  g_assert_cmpuint (b->len, ==, 20);
  g_assert_cmpuint (c->len, ==, 20);
  for (guint i = 0; i < a->len; i++)
    {
      Backup *ba = &g_array_index (a, Backup, i);
      Backup *bb = &g_array_index (b, Backup, i);

      g_assert_cmpstr (ba->name, ==, bb->name);
      g_assert_cmpint (ba->mtime, ==, bb->mtime);
      differ |= g_strcmp0 (ba->name, g_array_index (c, Backup, i).name) != 0;
    }
  g_assert_true (differ);

  rm_rf (tmp);
}

static void
test_backups_few (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 1, 1, 0, 30, 0);
  g_autoptr(GArray) none = populate (tmp, "none", 0, newest, 1);
  g_autoptr(GArray) one = populate (tmp, "one", 1, newest, 1);
  g_autoptr(GArray) two = populate (tmp, "two", 2, newest, 1);

  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (one->len, ==, 1);
  g_assert_cmpstr (g_array_index (one, Backup, 0).name, ==, "backup_20260101_003000.tar.zst");
  g_assert_cmpuint (two->len, ==, 2);
  g_assert_cmpint (g_array_index (two, Backup, 0).size, !=, g_array_index (two, Backup, 1).size);

  rm_rf (tmp);
}

static void
test_backups_cancelled (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *dir = g_build_filename (tmp, "backups", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GDateTime) newest = g_date_time_new_now_utc ();
  g_autoptr(GArray) backups = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_cancellable_cancel (cancellable);
  ok = osi_demo_backups_populate (dir, 10, newest, 1, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ok);

  backups = list_backups (dir);
  g_assert_cmpuint (backups->len, ==, 0);

  rm_rf (tmp);
}

static void
test_backups_error (void)
{
  g_autofree char *tmp = make_tmpdir ();
  g_autofree char *file = g_build_filename (tmp, "plain-file", NULL);
  g_autofree char *dir = g_build_filename (file, "backups", NULL);
  g_autoptr(GDateTime) newest = g_date_time_new_now_utc ();
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_file_set_contents (file, "x", 1, &error);
  g_assert_no_error (error);

  ok = osi_demo_backups_populate (dir, 3, newest, 1, NULL, &error);
  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  g_assert_nonnull (strstr (error->message, "plain-file"));

  rm_rf (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/demo-data/layout", test_layout);
  g_test_add_func ("/demo-data/knowledge-base", test_knowledge_base);
  g_test_add_func ("/demo-data/large", test_large);
  g_test_add_func ("/demo-data/deterministic", test_deterministic);
  g_test_add_func ("/demo-data/compressibility", test_compressibility);
  g_test_add_func ("/demo-data/tiny", test_tiny);
  g_test_add_func ("/demo-data/entry-count", test_entry_count);
  g_test_add_func ("/demo-data/cancelled", test_cancelled);
  g_test_add_func ("/demo-data/error", test_error);
  g_test_add_func ("/demo-data/backups", test_backups);
  g_test_add_func ("/demo-data/backups-dates", test_backups_dates);
  g_test_add_func ("/demo-data/backups-deterministic", test_backups_deterministic);
  g_test_add_func ("/demo-data/backups-few", test_backups_few);
  g_test_add_func ("/demo-data/backups-cancelled", test_backups_cancelled);
  g_test_add_func ("/demo-data/backups-error", test_backups_error);

  return g_test_run ();
}
