/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <locale.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "osi-demo-data.h"
#include "osi-sha256.h"
#include "osi-swap.h"
#include "osi-test-support.h"

char *
osi_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("osi-test-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

void
osi_test_remove_tmpdir (const char *path)
{
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    return;
  osi_remove_tree (path, &error);
  g_assert_no_error (error);
}

char *
osi_test_generate_data (const char *parent,
                        guint64     size,
                        guint32     seed)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_build_filename (parent, "data", NULL);

  osi_demo_data_generate (dir, size, seed, NULL, &error);
  g_assert_no_error (error);
  return dir;
}

static gboolean
trees_equal (const char  *a,
             const char  *b,
             const char  *rel,
             char       **why)
{
  g_autoptr(GPtrArray) na = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) nb = g_ptr_array_new_with_free_func (g_free);
  GDir *d;
  const char *name;

  if ((d = g_dir_open (a, 0, NULL)) != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        g_ptr_array_add (na, g_strdup (name));
      g_dir_close (d);
    }
  if ((d = g_dir_open (b, 0, NULL)) != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        g_ptr_array_add (nb, g_strdup (name));
      g_dir_close (d);
    }
  g_ptr_array_sort (na, osi_test_compare_strings);
  g_ptr_array_sort (nb, osi_test_compare_strings);

  if (na->len != nb->len)
    {
      *why = g_strdup_printf ("%s: %u entries against %u", *rel ? rel : ".", na->len, nb->len);
      return FALSE;
    }

  for (guint i = 0; i < na->len; i++)
    {
      const char *n = g_ptr_array_index (na, i);
      g_autofree char *pa = g_build_filename (a, n, NULL);
      g_autofree char *pb = g_build_filename (b, n, NULL);
      g_autofree char *r = *rel ? g_strconcat (rel, "/", n, NULL) : g_strdup (n);
      struct stat sa, sb;

      if (strcmp (n, g_ptr_array_index (nb, i)) != 0)
        {
          *why = g_strdup_printf ("%s: names differ (%s, %s)", r, n, (char *)g_ptr_array_index (nb, i));
          return FALSE;
        }
      if (lstat (pa, &sa) < 0 || lstat (pb, &sb) < 0)
        {
          *why = g_strdup_printf ("%s: cannot stat", r);
          return FALSE;
        }
      if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
        {
          *why = g_strdup_printf ("%s: types differ", r);
          return FALSE;
        }
      if (S_ISDIR (sa.st_mode))
        {
          if (!trees_equal (pa, pb, r, why))
            return FALSE;
          continue;
        }
      if (((sa.st_mode & 0100) != 0) != ((sb.st_mode & 0100) != 0))
        {
          *why = g_strdup_printf ("%s: executable bits differ", r);
          return FALSE;
        }
      {
        g_autofree char *ca = NULL;
        g_autofree char *cb = NULL;
        gsize la, lb;

        if (!g_file_get_contents (pa, &ca, &la, NULL) || !g_file_get_contents (pb, &cb, &lb, NULL) ||
            la != lb || memcmp (ca, cb, la) != 0)
          {
            *why = g_strdup_printf ("%s: contents differ", r);
            return FALSE;
          }
      }
    }

  return TRUE;
}

gboolean
osi_test_trees_equal (const char  *a,
                      const char  *b,
                      char       **why)
{
  g_autofree char *unused = NULL;

  return trees_equal (a, b, "", why != NULL ? why : &unused);
}

static void
add_entry (struct archive     *a,
           const OsiTestEntry *e,
           gsize               len)
{
  struct archive_entry *entry = archive_entry_new ();

  archive_entry_copy_pathname (entry, e->path);
  archive_entry_set_mtime (entry, 1764000000, 0);
  if (e->hardlink)
    {
      archive_entry_set_filetype (entry, AE_IFREG);
      archive_entry_set_perm (entry, 0644);
      archive_entry_copy_hardlink (entry, e->link);
      archive_entry_set_size (entry, 0);
    }
  else
    {
      archive_entry_set_filetype (entry, e->type);
      archive_entry_set_perm (entry, e->type == AE_IFDIR ? 0755 : 0644);
      if (e->type == AE_IFLNK)
        archive_entry_copy_symlink (entry, e->link);
      if (e->type == AE_IFCHR)
        archive_entry_set_rdev (entry, makedev (1, 3));
      archive_entry_set_size (entry, e->type == AE_IFREG ? (la_int64_t)len : 0);
    }
  g_assert_cmpint (archive_write_header (a, entry), >=, ARCHIVE_WARN);
  if (!e->hardlink && e->type == AE_IFREG && len > 0)
    g_assert_cmpint (archive_write_data (a, e->data, len), ==, (la_ssize_t)len);
  archive_entry_free (entry);
}

gsize
osi_test_entry_len (const OsiTestEntry *entry)
{
  return entry->data == NULL ? 0 : entry->len >= 0 ? (gsize)entry->len : strlen (entry->data);
}

JsonBuilder *
osi_test_manifest_begin (const char *format,
                         gint64      version)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, format);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, version);
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, "2026-11-26T10:15:00Z");
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, "test-host");
  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  return builder;
}

void
osi_test_manifest_add (JsonBuilder *builder,
                       const char  *path,
                       gint64       size,
                       const char  *sha256)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, path);
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, size);
  json_builder_set_member_name (builder, "sha256");
  json_builder_add_string_value (builder, sha256);
  json_builder_end_object (builder);
}

char *
osi_test_manifest_end (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "rag_entries");
  json_builder_add_int_value (builder, 1);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

void
osi_test_write_archive (const char          *path,
                        int                  filter,
                        int                  format,
                        const OsiTestEntry  *entries,
                        guint                n_entries,
                        gboolean             with_manifest)
{
  g_autoptr(JsonBuilder) builder = osi_test_manifest_begin ("osi-backup", 1);
  struct archive *a = archive_write_new ();

  if (filter == ARCHIVE_FILTER_ZSTD)
    archive_write_add_filter_zstd (a);
  else if (filter == ARCHIVE_FILTER_GZIP)
    archive_write_add_filter_gzip (a);
  g_assert_cmpint (archive_write_set_format (a, format), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (a, path), ==, ARCHIVE_OK);

  for (guint i = 0; i < n_entries; i++)
    {
      const OsiTestEntry *e = &entries[i];
      gsize len = osi_test_entry_len (e);

      add_entry (a, e, len);
      if (e->type == AE_IFREG && !e->hardlink)
        {
          g_autoptr(OsiSha256) sha = osi_sha256_new ();
          char hex[OSI_SHA256_HEX_LEN + 1];

          osi_sha256_update (sha, e->data, len);
          osi_sha256_finish_hex (sha, hex);
          osi_test_manifest_add (builder, e->path, (gint64)len, hex);
        }
    }

  if (with_manifest)
    {
      g_autofree char *text = osi_test_manifest_end (builder);
      OsiTestEntry manifest = { "manifest.json", AE_IFREG, NULL, -1, NULL, FALSE };

      manifest.data = text;
      add_entry (a, &manifest, strlen (text));
    }

  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
}

void
osi_test_make_archive (const char      *data_dir,
                       const char      *path,
                       OsiCompression   compression,
                       char           **sha256)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (osi_archive_create (data_dir, path, compression, sha256, NULL, &error));
  g_assert_no_error (error);
}

void
osi_test_log_findings (OsiVerifyReport *report)
{
  GPtrArray *findings = osi_verify_report_get_findings (report);

  for (guint i = 0; i < findings->len; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);

      g_test_message ("finding %s: %s (%s)", osi_finding_code_to_string (finding->code),
                      finding->message, finding->path ? finding->path : "-");
    }
}

guint
osi_test_count_rag_entries (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, "rag", "search.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_get_size (json_node_get_object (json_parser_get_root (parser)));
}

/* The path of file i, exactly len bytes: folders of 200 bytes, as a real
 * tree could have, then the file's number. */
static char *
bomb_name (gsize         len,
           OsiTestNames  names,
           guint         i)
{
  g_autofree char *folder = g_strnfill (200, 'x');
  GString *name = g_string_new ("data/");

  g_assert_cmpuint (len, >=, 16);
  while (len - name->len > 208)
    g_string_append_printf (name, "%s/", folder);
  g_string_append_printf (name, "f%0*u", (int)(len - name->len - 1), names == OSI_TEST_NAMES_SAME ? 0 : i);
  g_assert_cmpuint (name->len, ==, len);
  return g_string_free (name, FALSE);
}

void
osi_test_write_name_bomb (const char   *path,
                          int           filter,
                          guint         n,
                          gsize         name_len,
                          OsiTestNames  names,
                          gboolean      symlink_last)
{
  struct archive *a = archive_write_new ();
  struct archive_entry *entry = archive_entry_new ();

  g_assert_cmpint (archive_write_add_filter (a, filter), ==, ARCHIVE_OK);
  if (filter == ARCHIVE_FILTER_GZIP)
    g_assert_cmpint (archive_write_set_filter_option (a, "gzip", "compression-level", "1"), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_set_format_pax_restricted (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (a, path), ==, ARCHIVE_OK);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = bomb_name (name_len, names, i);

      archive_entry_clear (entry);
      archive_entry_copy_pathname (entry, name);
      archive_entry_set_filetype (entry, AE_IFREG);
      archive_entry_set_perm (entry, 0644);
      archive_entry_set_mtime (entry, 1764000000, 0);
      archive_entry_set_size (entry, 0);
      g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
    }
  if (symlink_last)
    {
      archive_entry_clear (entry);
      archive_entry_copy_pathname (entry, "data/link");
      archive_entry_set_filetype (entry, AE_IFLNK);
      archive_entry_set_perm (entry, 0777);
      archive_entry_copy_symlink (entry, "/etc/passwd");
      g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
    }
  archive_entry_free (entry);
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
}

const char *
osi_test_valid_rag (void)
{
  return "{\n"
         "  \"inscription\": {\n"
         "    \"name\": \"inscription\",\n"
         "    \"description\": \"S’inscrire à l’université\",\n"
         "    \"search\": \"inscription université\",\n"
         "    \"keywords\": [\"inscription\", \"année\"],\n"
         "    \"links\": [\"https://example.org/inscription\"],\n"
         "    \"details\": {\n"
         "      \"Name\": \"inscription\",\n"
         "      \"Label\": \"Inscription\",\n"
         "      \"Messages\": [{\"Label\": \"Étapes\", \"Description\": \"Les étapes\",\n"
         "        \"Bubbles\": [{\"Text\": \"Rendez-vous sur l’ENT.\", \"Image\": \"\", \"Video\": \"\", \"Order\": 1}],\n"
         "        \"Buttons\": [{\"Label\": \"Ouvrir\", \"Link\": \"https://example.org\", \"Type\": \"link\", \"Order\": 1}],\n"
         "        \"Actions\": [], \"Cards\": [], \"OpenQuestion\": false, \"OpenQuestionLink\": \"\"}]\n"
         "    }\n"
         "  }\n"
         "}\n";
}

int
osi_test_run_cli (char               **out_stdout,
                  char               **out_stderr,
                  const char * const  *env_extra,
                  const char          *first_arg,
                  ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  const char *cli = g_getenv ("OSI_BACKUP_CLI");
  const char *arg;
  int wait_status = 0;
  va_list ap;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer)cli);
  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  for (guint i = 0; env_extra != NULL && env_extra[i] != NULL; i++)
    {
      g_auto(GStrv) kv = g_strsplit (env_extra[i], "=", 2);
      envp = g_environ_setenv (envp, kv[0], kv[1] ? kv[1] : "", TRUE);
    }

  /* Standard output is the TAP stream: what the caller does not read must
   * not land there. */
  g_spawn_sync (NULL, (char **)argv->pdata, envp,
                out_stdout == NULL ? G_SPAWN_STDOUT_TO_DEV_NULL : G_SPAWN_DEFAULT, NULL, NULL,
                out_stdout, out_stderr, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  return WEXITSTATUS (wait_status);
}

char *
osi_test_only_entry_with_prefix (const char *dir,
                                 const char *prefix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  char *found = NULL;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix))
      {
        g_assert_null (found);
        found = g_strdup (name);
      }
  g_dir_close (d);
  g_assert_nonnull (found);
  return found;
}

int
osi_test_compare_strings (gconstpointer a,
                          gconstpointer b)
{
  return strcmp (*(char * const *)a, *(char * const *)b);
}

GStrv
osi_test_dir_names (const char *dir)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  const char *name;

  g_assert_no_error (error);
  /* A server's catalog is not an entry (docs/api.md §8.4). */
  while ((name = g_dir_read_name (d)) != NULL)
    if (!g_str_has_prefix (name, ".osi-catalog.sqlite"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, osi_test_compare_strings);
  g_ptr_array_add (names, NULL);
  g_ptr_array_set_free_func (names, NULL);
  return (GStrv)g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

guint
osi_test_count_entries (const char *dir)
{
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  return osi_test_n_files (dir);
}

guint
osi_test_n_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  /* A server's catalog is not an entry (docs/api.md §8.4). */
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (!g_str_has_prefix (name, ".osi-catalog.sqlite"))
      n++;
  return n;
}

gint64
osi_test_file_size (const char *path)
{
  struct stat st;

  if (g_stat (path, &st) < 0)
    return -1;
  return st.st_size;
}

char *
osi_test_file_sha256 (const char *path)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buffer = g_malloc (1024 * 1024);
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  while ((n = read (fd, buffer, 1024 * 1024)) > 0)
    g_checksum_update (checksum, buffer, n);
  g_assert_cmpint (n, ==, 0);
  close (fd);
  return g_strdup (g_checksum_get_string (checksum));
}

void
osi_test_assert_files_equal (const char *a,
                             const char *b)
{
  const gsize piece = 1024 * 1024;
  g_autoptr(GFile) file_a = g_file_new_for_path (a);
  g_autoptr(GFile) file_b = g_file_new_for_path (b);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) in_a = g_file_read (file_a, NULL, &error);
  g_autoptr(GFileInputStream) in_b = NULL;
  g_autofree char *buffer_a = g_malloc (piece);
  g_autofree char *buffer_b = g_malloc (piece);
  guint64 at = 0;

  g_assert_no_error (error);
  in_b = g_file_read (file_b, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osi_test_file_size (a), ==, osi_test_file_size (b));
  for (;;)
    {
      gsize len_a = 0, len_b = 0;

      g_assert_true (g_input_stream_read_all (G_INPUT_STREAM (in_a), buffer_a, piece, &len_a, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_input_stream_read_all (G_INPUT_STREAM (in_b), buffer_b, piece, &len_b, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (len_a, ==, len_b);
      if (len_a == 0)
        break;
      if (memcmp (buffer_a, buffer_b, len_a) != 0)
        g_error ("%s and %s differ between bytes %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT,
                 a, b, at, at + len_a);
      at += len_a;
    }
}

void
osi_test_set_mtime (const char *path,
                    gint64      unix_time,
                    long        nsec)
{
  struct timespec times[2] = { { (time_t)unix_time, nsec }, { (time_t)unix_time, nsec } };

  g_assert_cmpint (utimensat (AT_FDCWD, path, times, 0), ==, 0);
}

void
osi_test_missing (const char *what)
{
  if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
    g_test_fail_printf ("%s, yet CI=true: .ci/run provides it", what);
  else
    g_test_skip (what);
}

JsonNode *
osi_test_parse_json (const char *data,
                     gssize      len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, data, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (json_parser_get_root (parser));
  return json_node_ref (json_parser_get_root (parser));
}

JsonObject *
osi_test_json_find_named (JsonArray  *array,
                          const char *name)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (object, "name"), name) == 0)
        return object;
    }
  return NULL;
}

static gboolean
run_openssl (const char *cwd,
             const char *command_line)
{
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_shell_parse_argv (command_line, NULL, &argv, NULL));
  if (!g_spawn_sync (cwd, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

gboolean
osi_test_make_tls_certificates (const char *dir)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *ext = NULL;
  g_autofree char *key = NULL;

  if (openssl == NULL)
    {
      osi_test_missing ("no openssl to make certificates");
      return FALSE;
    }
  ext = g_build_filename (dir, "ext.cnf", NULL);
  g_assert_true (g_file_set_contents (ext, "basicConstraints=CA:FALSE\n"
                                           "subjectAltName=IP:127.0.0.1\n"
                                           "extendedKeyUsage=serverAuth\n", -1, NULL));
  g_assert_true (run_openssl (dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                                   "-keyout ca.key -out ca.pem -days 2 -subj /CN=OSI-Test-CA "
                                   "-addext basicConstraints=critical,CA:TRUE "
                                   "-addext keyUsage=critical,keyCertSign,cRLSign"));
  g_assert_true (run_openssl (dir, "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                                   "-keyout server.key -out server.csr -subj /CN=127.0.0.1"));
  g_assert_true (run_openssl (dir, "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
                                   "-CAcreateserial -out server.pem -days 2 -extfile ext.cnf"));
  key = g_build_filename (dir, "server.key", NULL);
  g_assert_cmpint (g_chmod (key, 0600), ==, 0);
  return TRUE;
}

gboolean
osi_test_have_locale (const char *name)
{
  g_autofree char *saved = g_strdup (setlocale (LC_ALL, NULL));
  gboolean ok = setlocale (LC_ALL, name) != NULL;

  setlocale (LC_ALL, saved);
  return ok;
}

char *
osi_test_use_french (void)
{
  const char *localedir = g_getenv ("OSI_BACKUP_LOCALEDIR");
  char *saved;

  if (!osi_test_have_locale ("fr_FR.UTF-8"))
    {
      osi_test_missing ("no fr_FR.UTF-8 locale");
      return NULL;
    }
  /* LANGUAGE would win over the locale (no setenv () once threads run). */
  if (g_getenv ("LANGUAGE") != NULL && g_getenv ("LANGUAGE")[0] != '\0' &&
      !g_str_has_prefix (g_getenv ("LANGUAGE"), "fr"))
    {
      g_test_skip ("LANGUAGE asks for another language");
      return NULL;
    }
  saved = g_strdup (setlocale (LC_ALL, NULL));
  setlocale (LC_ALL, "fr_FR.UTF-8");
  if (localedir != NULL)
    bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  return saved;
}

void
osi_test_restore_locale (char *saved)
{
  setlocale (LC_ALL, saved);
  g_free (saved);
}

void
osi_test_write_random_file (const char *path,
                            gsize       size,
                            guint32     seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  FILE *file = g_fopen (path, "wb");
  guint32 block[16384];

  g_assert_nonnull (file);
  for (gsize done = 0; done < size; done += sizeof block)
    {
      for (guint i = 0; i < G_N_ELEMENTS (block); i++)
        block[i] = g_rand_int (rand);
      g_assert_cmpuint (fwrite (block, 1, sizeof block, file), ==, sizeof block);
    }
  g_assert_cmpint (fclose (file), ==, 0);
}

/* The servers running. A failed assertion aborts the test: they are
 * killed then, or they would outlive it holding its standard error, and
 * whatever reads that (meson) would wait for them. */
static GPid live_servers[16];

void
osi_test_track_server (GPid old_pid,
                       GPid new_pid)
{
  for (guint i = 0; i < G_N_ELEMENTS (live_servers); i++)
    if (live_servers[i] == old_pid)
      {
        live_servers[i] = new_pid;
        return;
      }
  g_assert (old_pid != 0);
}

static void
on_fatal_signal (int signum)
{
  for (guint i = 0; i < G_N_ELEMENTS (live_servers); i++)
    if (live_servers[i] > 0)
      kill (live_servers[i], SIGKILL);
  signal (signum, SIG_DFL);
  raise (signum);
}

void
osi_test_kill_servers_on_fatal_signals (void)
{
  /* SIGTRAP: what a fatal GLib warning raises (G_BREAKPOINT). */
  static const int signals[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTERM, SIGTRAP };

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    signal (signals[i], on_fatal_signal);
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
osi_test_wait_for (OsiTestCondition  done,
                   gpointer          data,
                   const char       *what)
{
  gint64 deadline = g_get_monotonic_time () + OSI_TEST_WAIT_S * G_USEC_PER_SEC;
  guint tick = g_timeout_add (20, wake_up, NULL);

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_test_message ("gave up waiting for %s after %d s", what, OSI_TEST_WAIT_S);
          g_assert_not_reached ();
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

void
osi_test_store_result (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
result_arrived (gpointer data)
{
  return *(GAsyncResult **)data != NULL;
}

GAsyncResult *
osi_test_wait_result (GAsyncResult **slot,
                      const char    *what)
{
  osi_test_wait_for (result_arrived, slot, what);
  return *slot;
}

typedef struct
{
  pid_t  parent;
  rlim_t nofile;
} ChildSetup;

/* In the server, before exec: it ends with the test, however the test
 * ends (a signal no handler catches, SIGKILL). A server left running
 * would hold the test's stderr open, and meson would wait for it until
 * its timeout. */
static void
child_setup (gpointer user_data)
{
  const ChildSetup *setup = user_data;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != setup->parent)
    _exit (1);
  if (setup->nofile > 0)
    {
      struct rlimit limit = { setup->nofile, setup->nofile };

      if (setrlimit (RLIMIT_NOFILE, &limit) < 0)
        _exit (126);
    }
}

/* Both servers take the same arguments and print their URL first. extra:
 * the extra arguments (char *), NULL-terminated. */
static OsiTestServer *
server_start (const char                 *server,
              const char                 *tmp_dir,
              const char                 *data_dir,
              const char                 *backup_dir,
              const char                 *token,
              const OsiTestServerOptions *options,
              GPtrArray                  *extra)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  g_autofree char *line = NULL;
  OsiTestServer *self = g_new0 (OsiTestServer, 1);
  ChildSetup setup = { getpid (), options != NULL ? options->nofile : 0 };
  int log_fd = -1;
  int out_fd = -1;

  g_assert_nonnull (server);
  g_ptr_array_add (argv, g_strdup (server));
  g_ptr_array_add (argv, g_strdup ("--data-dir"));
  g_ptr_array_add (argv, g_strdup (data_dir));
  g_ptr_array_add (argv, g_strdup ("--backup-dir"));
  g_ptr_array_add (argv, g_strdup (backup_dir));
  g_ptr_array_add (argv, g_strdup ("--listen"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1:0"));
  if (token != NULL)
    {
      self->token = g_strdup (token);
      self->token_file = g_build_filename (tmp_dir, "token", NULL);
      g_assert_true (g_file_set_contents_full (self->token_file, token, -1,
                                               G_FILE_SET_CONTENTS_NONE, 0600, &error));
      g_assert_no_error (error);
      g_ptr_array_add (argv, g_strdup ("--token-file"));
      g_ptr_array_add (argv, g_strdup (self->token_file));
    }
  for (guint i = 0; g_ptr_array_index (extra, i) != NULL; i++)
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (extra, i)));
  g_ptr_array_add (argv, NULL);

  if (options != NULL && options->log_path != NULL)
    {
      log_fd = open (options->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      g_assert_cmpint (log_fd, >=, 0);
    }
  g_spawn_async_with_pipes_and_fds (NULL, (const char * const *)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                    child_setup, &setup, -1, -1, log_fd, NULL, NULL, 0, &self->pid, NULL,
                                    &out_fd, NULL, &error);
  g_assert_no_error (error);
  if (log_fd >= 0)
    close (log_fd);
  osi_test_track_server (0, self->pid);

  /* The first line of its standard output is the URL it listens on. */
  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_io_channel_read_line (channel, &line, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_strstrip (line);
  g_assert_true (g_str_has_prefix (line, "http://") || g_str_has_prefix (line, "https://"));
  self->url = g_steal_pointer (&line);
  return self;
}

/* The arguments from first to the NULL that ends them, and that NULL. */
static GPtrArray *
collect_args (const char *first,
              va_list     ap)
{
  GPtrArray *args = g_ptr_array_new ();

  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer)arg);
  g_ptr_array_add (args, NULL);
  return args;
}

OsiTestServer *
osi_test_server_start (const char *tmp_dir,
                       const char *data_dir,
                       const char *backup_dir,
                       const char *token,
                       const char *first_extra_arg,
                       ...)
{
  g_autoptr(GPtrArray) extra = NULL;
  va_list ap;

  va_start (ap, first_extra_arg);
  extra = collect_args (first_extra_arg, ap);
  va_end (ap);
  return server_start (g_getenv ("OSI_BACKUP_SERVER"), tmp_dir, data_dir, backup_dir, token, NULL, extra);
}

OsiTestServer *
osi_test_server_start_full (const char                 *tmp_dir,
                            const char                 *data_dir,
                            const char                 *backup_dir,
                            const char                 *token,
                            const OsiTestServerOptions *options,
                            const char * const         *extra_args)
{
  g_autoptr(GPtrArray) extra = g_ptr_array_new ();

  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (extra, (gpointer)extra_args[i]);
  g_ptr_array_add (extra, NULL);
  return server_start (g_getenv ("OSI_BACKUP_SERVER"), tmp_dir, data_dir, backup_dir, token, options, extra);
}

OsiTestServer *
osi_test_fastapi_start (const char *tmp_dir,
                        const char *data_dir,
                        const char *backup_dir,
                        const char *token,
                        const char *first_extra_arg,
                        ...)
{
  g_autoptr(GPtrArray) extra = NULL;
  va_list ap;

  va_start (ap, first_extra_arg);
  extra = collect_args (first_extra_arg, ap);
  va_end (ap);
  return server_start (g_getenv ("OSI_BACKUP_FASTAPI"), tmp_dir, data_dir, backup_dir, token, NULL, extra);
}

OsiTestServer *
osi_test_fastapi_serve (const char *data,
                        const char *backups,
                        const char *token,
                        const char *extra_entries,
                        const char *zone)
{
  g_autofree char *dir = g_path_get_dirname (data);
  g_autofree char *rag = g_build_filename (data, "rag", NULL);
  g_autofree char *kb = g_build_filename (rag, "search.json", NULL);
  g_autofree char *extra = NULL;
  /* The options given, then the NULL that ends them. */
  const char *options[5] = { NULL };
  guint n = 0;

  g_assert_cmpint (g_mkdir_with_parents (rag, 0700), ==, 0);
  g_assert_true (g_file_set_contents (kb, osi_test_valid_rag (), -1, NULL));
  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  if (zone != NULL)
    {
      options[n++] = "--time-zone";
      options[n++] = zone;
    }
  if (extra_entries != NULL)
    {
      extra = g_build_filename (dir, "extra-entries.json", NULL);
      g_assert_true (g_file_set_contents (extra, extra_entries, -1, NULL));
      options[n++] = "--extra-entries";
      options[n++] = extra;
    }
  return osi_test_fastapi_start (dir, data, backups, token, options[0], options[1], options[2], options[3], NULL);
}

guint16
osi_test_server_port (OsiTestServer *server)
{
  const char *port = server->url + strlen ("http://127.0.0.1:");
  guint64 value = 0;

  g_assert_true (g_str_has_prefix (server->url, "http://127.0.0.1:"));
  g_assert_true (g_ascii_string_to_unsigned (port, 10, 1, 65535, &value, NULL));
  return (guint16)value;
}

int
osi_test_tcp_connect (guint16 port)
{
  struct sockaddr_in address = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *)&address, sizeof address) < 0)
    g_error ("connect to 127.0.0.1:%u: %s", port, g_strerror (errno));
  return fd;
}

guint
osi_test_http_status (const char *response)
{
  if (!g_str_has_prefix (response, "HTTP/1.1 ") && !g_str_has_prefix (response, "HTTP/1.0 "))
    return 0;
  return (guint)g_ascii_strtoull (response + 9, NULL, 10);
}

typedef struct
{
  OsiTestServer *server;
  const char    *name;
  const char    *kind;
} Listed;

/* The body of a whole HTTP/1.1 response, its chunks joined. */
static GString *
response_body (const char *response,
               gsize       len)
{
  const char *end = g_strstr_len (response, (gssize)len, "\r\n\r\n");
  const char *p;
  GString *body = g_string_new (NULL);

  if (end == NULL)
    return body;
  p = end + 4;
  if (g_strstr_len (response, end - response, "Transfer-Encoding: chunked") == NULL)
    return g_string_append_len (body, p, response + len - p);
  while (p < response + len)
    {
      char *after;
      guint64 size = g_ascii_strtoull (p, &after, 16);
      const char *data = strstr (after, "\r\n");

      if (size == 0 || data == NULL || data + 2 + size > response + len)
        break;
      g_string_append_len (body, data + 2, (gssize)size);
      p = data + 2 + size + 2;
    }
  return body;
}

static gboolean
is_listed (gpointer data)
{
  Listed *listed = data;
  g_autofree char *request = g_strdup_printf ("GET /api/rag/backup HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Authorization: Bearer %s\r\nConnection: close\r\n\r\n",
                                              listed->server->token);
  g_autoptr(GString) response = g_string_new (NULL);
  g_autoptr(GString) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *backups;
  char buffer[65536];
  int fd = osi_test_tcp_connect (osi_test_server_port (listed->server));
  ssize_t n;

  g_assert_cmpint (write (fd, request, strlen (request)), ==, (ssize_t)strlen (request));
  while ((n = read (fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (response, buffer, n);
  close (fd);
  g_assert_cmpuint (osi_test_http_status (response->str), ==, 200);
  body = response_body (response->str, response->len);
  root = osi_test_parse_json (body->str, (gssize)body->len);
  backups = json_object_get_array_member (json_node_get_object (root), "backups");
  for (guint i = 0; i < json_array_get_length (backups); i++)
    {
      JsonObject *entry = json_array_get_object_element (backups, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (entry, "name", NULL), listed->name) == 0)
        return g_strcmp0 (json_object_get_string_member_with_default (entry, "kind", NULL), listed->kind) == 0;
    }
  return FALSE;
}

void
osi_test_server_wait_listed (OsiTestServer *server,
                             const char    *name,
                             const char    *kind)
{
  Listed listed = { server, name, kind };
  g_autofree char *what = g_strdup_printf ("%s listed as a %s backup", name, kind);

  g_assert_nonnull (server->token);
  osi_test_wait_for (is_listed, &listed, what);
}

static int
wait_for (GPid pid)
{
  int status = 0;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (WIFSIGNALED (status))
    return -WTERMSIG (status);
  return WEXITSTATUS (status);
}

int
osi_test_server_stop (OsiTestServer *server)
{
  int status;

  g_assert_nonnull (server);
  g_assert_cmpint (server->pid, >, 0);
  kill (server->pid, SIGTERM);
  osi_test_track_server (server->pid, 0);
  status = wait_for (server->pid);
  g_spawn_close_pid (server->pid);
  server->pid = 0;
  return status;
}

void
osi_test_server_finish (OsiTestServer *server)
{
  if (server != NULL && server->pid > 0)
    g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
}

void
osi_test_server_kill (OsiTestServer *server)
{
  g_assert_nonnull (server);
  g_assert_cmpint (server->pid, >, 0);
  kill (server->pid, SIGKILL);
  osi_test_track_server (server->pid, 0);
  wait_for (server->pid);
  g_spawn_close_pid (server->pid);
  server->pid = 0;
}

void
osi_test_server_free (OsiTestServer *server)
{
  if (server == NULL)
    return;
  if (server->pid > 0)
    osi_test_server_kill (server);
  g_free (server->url);
  g_free (server->token);
  g_free (server->token_file);
  g_free (server);
}
