/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "osi-archive.h"
#include "osi-error.h"
#include "osi-swap.h"
#include "osi-test-support.h"

/* One case per hostile archive, each made here in a fresh temporary folder.
 * Every case is checked three ways: the library's report names the specific
 * finding, `osi-backup-cli verify` exits 1 and its JSON names it too, and a
 * restore over a live data folder is refused without changing the data or
 * writing anything outside. */

#define DATA_SIZE   (1024 * 1024)
#define BOMB_SIZE   (G_GUINT64_CONSTANT (300) * 1024 * 1024)
#define CHUNK       (1024 * 1024)

typedef struct
{
  char       *tmp;
  char       *data;          /* the live data folder, tmp/data */
  char       *snapshot;      /* an untouched copy of it */
  char       *outside;       /* where attacks aim */
  GHashTable *outside_files; /* name → contents it must keep */
} Fixture;

/* ------------------------------------------------------------------------ */
/* Files and folders                                                        */

static void
copy_tree (const char *src,
           const char *dst)
{
  g_autoptr(GError) error = NULL;
  GDir *dir;
  const char *name;

  g_assert_cmpint (g_mkdir (dst, 0755), ==, 0);
  dir = g_dir_open (src, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dst, name, NULL);
      struct stat st;

      g_assert_cmpint (lstat (from, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        copy_tree (from, to);
      else
        {
          g_autofree char *contents = NULL;
          gsize len;

          g_assert_true (S_ISREG (st.st_mode));
          g_assert_true (g_file_get_contents (from, &contents, &len, &error));
          g_assert_true (g_file_set_contents (to, contents, (gssize)len, &error));
          g_assert_cmpint (g_chmod (to, st.st_mode & 0777), ==, 0);
        }
    }
  g_dir_close (dir);
}

/* The sorted names in a folder, one a line: compared as a whole so that a
 * failure shows what appeared. */
static char *
listing (const char *path)
{
  g_auto(GStrv) names = osi_test_dir_names (path);
  GString *out = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    g_string_append_printf (out, "%s\n", names[i]);
  return g_string_free (out, FALSE);
}

static char *
tmp_path (Fixture    *f,
          const char *name)
{
  return g_build_filename (f->tmp, name, NULL);
}

static void
put_outside (Fixture    *f,
             const char *name,
             const char *contents)
{
  g_autofree char *path = g_build_filename (f->outside, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  g_hash_table_insert (f->outside_files, g_strdup (name), g_strdup (contents));
}

static void
write_bytes (const char   *path,
             const guint8 *data,
             gsize         len)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, (const char *)data, (gssize)len, &error);
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  g_autofree char *why = NULL;

  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, DATA_SIZE, 11);
  f->snapshot = tmp_path (f, "snapshot");
  copy_tree (f->data, f->snapshot);
  if (!osi_test_trees_equal (f->data, f->snapshot, &why))
    g_error ("the copy of the live data differs: %s", why);
  f->outside = tmp_path (f, "outside");
  g_assert_cmpint (g_mkdir (f->outside, 0755), ==, 0);
  f->outside_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->snapshot);
  g_free (f->outside);
  g_hash_table_unref (f->outside_files);
}

/* ------------------------------------------------------------------------ */
/* Building archives                                                        */

#define RAG_ENTRY    { OSI_RAG_PATH, AE_IFREG, osi_test_valid_rag (), -1, NULL, FALSE }
#define CONFIG_ENTRY { "config/system.json", AE_IFREG, "{\"model\": \"mistral\"}\n", -1, NULL, FALSE }
#define NOTES_ENTRY  { "data/notes.md", AE_IFREG, "# Notes\n\nRien à signaler.\n", -1, NULL, FALSE }

typedef enum
{
  TWEAK_NONE,
  TWEAK_OMIT,       /* the file is not listed */
  TWEAK_BAD_SHA,    /* listed with the digest of other content */
  TWEAK_BAD_SIZE,   /* listed one byte longer */
  TWEAK_ADD,        /* a file listed that the archive lacks */
} TweakKind;

typedef struct
{
  TweakKind   kind;
  const char *path;
} Tweak;

static char *
sha256_hex (const char *data,
            gsize       len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)data, len);
}

/* Entries a well-formed manifest can list: regular files with safe names.
 * The others are the attacks; leaving them out keeps each case down to
 * the one finding it is about. */
static gboolean
listable (const OsiTestEntry *e)
{
  g_auto(GStrv) parts = NULL;

  if (e->type != AE_IFREG || e->hardlink || e->path[0] == '/' ||
      !g_utf8_validate (e->path, -1, NULL))
    return FALSE;
  parts = g_strsplit (e->path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (strcmp (parts[i], "..") == 0)
      return FALSE;
  return TRUE;
}

/* A manifest for entries (first occurrence of each path), altered by tweak
 * (may be NULL). */
static char *
make_manifest_full (const OsiTestEntry *entries,
                    guint               n_entries,
                    const Tweak        *tweak,
                    const char         *format,
                    gint64              version)
{
  g_autoptr(JsonBuilder) builder = osi_test_manifest_begin (format, version);
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  TweakKind kind = tweak != NULL ? tweak->kind : TWEAK_NONE;

  for (guint i = 0; i < n_entries; i++)
    {
      const OsiTestEntry *e = &entries[i];
      gboolean targeted = tweak != NULL && g_strcmp0 (tweak->path, e->path) == 0;
      g_autofree char *sha = NULL;
      gsize len = osi_test_entry_len (e);

      if (!listable (e) || g_hash_table_contains (listed, e->path))
        continue;
      g_hash_table_add (listed, (gpointer)e->path);
      if (targeted && kind == TWEAK_OMIT)
        continue;

      sha = targeted && kind == TWEAK_BAD_SHA
        ? sha256_hex ("something else", strlen ("something else"))
        : sha256_hex (e->data != NULL ? e->data : "", len);
      osi_test_manifest_add (builder, e->path, (gint64)len + (targeted && kind == TWEAK_BAD_SIZE ? 1 : 0), sha);
    }

  if (kind == TWEAK_ADD)
    {
      g_autofree char *sha = sha256_hex ("ghost", 5);
      osi_test_manifest_add (builder, tweak->path, 5, sha);
    }

  return osi_test_manifest_end (builder);
}

static char *
make_manifest (const OsiTestEntry *entries,
               guint               n_entries,
               const Tweak        *tweak)
{
  return make_manifest_full (entries, n_entries, tweak, "osi-backup", 1);
}

/* Writes entries then, unless manifest is NULL, a manifest.json holding
 * exactly that text. */
static void
write_archive (const char         *path,
               int                 filter,
               int                 format,
               const OsiTestEntry *entries,
               guint               n_entries,
               const char         *manifest)
{
  g_autofree OsiTestEntry *all = g_new0 (OsiTestEntry, n_entries + 1);

  memcpy (all, entries, n_entries * sizeof (OsiTestEntry));
  if (manifest != NULL)
    {
      all[n_entries].path = OSI_MANIFEST_NAME;
      all[n_entries].type = AE_IFREG;
      all[n_entries].data = manifest;
      all[n_entries].len = -1;
    }
  osi_test_write_archive (path, filter, format, all, n_entries + (manifest != NULL ? 1 : 0), FALSE);
}

/* The usual case: a zstd tar whose manifest lists every safe file truly. */
static char *
write_tar_zst (Fixture            *f,
               const char         *name,
               const OsiTestEntry *entries,
               guint               n_entries)
{
  char *path = tmp_path (f, name);
  g_autofree char *manifest = make_manifest (entries, n_entries, NULL);

  write_archive (path, ARCHIVE_FILTER_ZSTD, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, entries, n_entries, manifest);
  return path;
}

/* A valid backup, made by the library, of other data than the live one. */
static char *
make_valid_archive (Fixture        *f,
                    const char     *name,
                    OsiCompression  compression)
{
  g_autofree char *parent = tmp_path (f, "source");
  g_autofree char *source = g_build_filename (parent, "data", NULL);
  char *path = tmp_path (f, name);

  if (!g_file_test (source, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *made = NULL;

      g_assert_cmpint (g_mkdir (parent, 0755), ==, 0);
      made = osi_test_generate_data (parent, DATA_SIZE, 2);
    }
  osi_test_make_archive (source, path, compression, NULL);
  return path;
}

static char *
read_file (const char *path,
           gsize      *len)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, len, &error);
  g_assert_no_error (error);
  return contents;
}

/* ------------------------------------------------------------------------ */
/* Checking                                                                 */

typedef struct
{
  OsiFindingCode          code;
  const char             *path;       /* the finding must name it, when set */
  gboolean                unproven;   /* verdict UNPROVEN rather than NOT_RESTORABLE */
  const OsiArchiveLimits *limits;     /* NULL: the defaults */
  const char             *cli_option; /* the same limit for the CLI, with cli_value */
  const char             *cli_value;
  gboolean                has_also;   /* one other finding allowed: also */
  OsiFindingCode          also;
} Expect;

static gboolean
report_has (OsiVerifyReport *report,
            OsiFindingCode   code,
            const char      *path)
{
  GPtrArray *findings = osi_verify_report_get_findings (report);

  if (!osi_verify_report_has_finding (report, code))
    return FALSE;
  for (guint i = 0; i < findings->len; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);

      if (finding->code == code && (path == NULL || g_strcmp0 (finding->path, path) == 0))
        return TRUE;
    }
  return FALSE;
}

static OsiVerifyReport *
assert_verify (const char   *archive,
               const Expect *expect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  GPtrArray *findings;

  report = osi_archive_verify (archive, expect->limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  osi_test_log_findings (report);
  g_assert_cmpstr (osi_verdict_to_string (osi_verify_report_get_verdict (report)), ==,
                   osi_verdict_to_string (expect->unproven ? OSI_VERDICT_UNPROVEN
                                                           : OSI_VERDICT_NOT_RESTORABLE));
  g_assert_false (osi_verify_report_is_restorable (report));
  if (!report_has (report, expect->code, expect->path))
    g_error ("no %s finding%s%s", osi_finding_code_to_string (expect->code),
             expect->path ? " naming " : "", expect->path ? expect->path : "");

  /* Each case holds one problem: it must not be drowned in, or mistaken
   * for, others (a cut archive is not a list of missing files). */
  findings = osi_verify_report_get_findings (report);
  for (guint i = 0; i < findings->len; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);

      if (finding->code != expect->code && !(expect->has_also && finding->code == expect->also))
        g_error ("unexpected finding %s beside %s", osi_finding_code_to_string (finding->code),
                 osi_finding_code_to_string (expect->code));
    }
  return g_steal_pointer (&report);
}

static const char * const c_locale[] = { "LC_ALL=C.UTF-8", "LANG=C.UTF-8", "LANGUAGE=", NULL };

static void
assert_cli (const char   *archive,
            const Expect *expect)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json_err = NULL;
  const char *verdict = expect->unproven ? "unproven" : "not_restorable";
  const char *code = osi_finding_code_to_string (expect->code);
  JsonObject *root;
  JsonArray *findings;
  gboolean found = FALSE;
  int status;

  status = osi_test_run_cli (&out, &err, c_locale, "verify", archive, expect->cli_option,
                             expect->cli_value, NULL);
  g_test_message ("cli verify: %d\n%s%s", status, out, err);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, expect->unproven ? "Verdict: integrity unproven"
                                                  : "Verdict: not restorable"));

  status = osi_test_run_cli (&json, &json_err, c_locale, "verify", "--json", archive,
                             expect->cli_option, expect->cli_value, NULL);
  g_assert_cmpint (status, ==, 1);
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "verdict"), ==, verdict);
  g_assert_false (json_object_get_boolean_member (root, "restorable"));
  findings = json_object_get_array_member (root, "findings");
  g_assert_nonnull (findings);
  for (guint i = 0; i < json_array_get_length (findings); i++)
    {
      JsonObject *finding = json_array_get_object_element (findings, i);
      const char *path = json_object_get_string_member_with_default (finding, "path", NULL);

      if (g_strcmp0 (json_object_get_string_member (finding, "code"), code) == 0 &&
          (expect->path == NULL || g_strcmp0 (path, expect->path) == 0))
        found = TRUE;
    }
  if (!found)
    g_error ("the JSON report has no %s finding:\n%s", code, json);
}

/* Nothing changed: the live data, the temporary folder's names (no staging
 * folder or journal left), the outside folder. */
static void
assert_untouched (Fixture    *f,
                  const char *tmp_before)
{
  g_autofree char *why = NULL;
  g_autofree char *tmp_after = listing (f->tmp);
  g_autofree char *outside_after = listing (f->outside);
  g_autoptr(GString) outside_expected = g_string_new (NULL);
  g_autoptr(GList) names = g_list_sort (g_hash_table_get_keys (f->outside_files), (GCompareFunc)strcmp);

  if (!osi_test_trees_equal (f->data, f->snapshot, &why))
    g_error ("the live data changed: %s", why);

  g_assert_cmpstr (tmp_after, ==, tmp_before);
  g_assert_null (strstr (tmp_after, ".osi-staging."));
  g_assert_null (strstr (tmp_after, ".osi-swap"));

  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *path = g_build_filename (f->outside, l->data, NULL);
      g_autofree char *contents = read_file (path, NULL);

      g_string_append_printf (outside_expected, "%s\n", (char *)l->data);
      g_assert_cmpstr (contents, ==, g_hash_table_lookup (f->outside_files, l->data));
    }
  g_assert_cmpstr (outside_after, ==, outside_expected->str);
}

static void
assert_restore_refused (Fixture      *f,
                        const char   *archive,
                        const Expect *expect,
                        const char   *before)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  gboolean ok;

  ok = osi_swap_restore_archive (f->data, archive, expect->limits, &report, NULL, &error);
  g_assert_false (ok);
  g_assert_error (error, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED);
  g_assert_nonnull (report);
  g_assert_true (report_has (report, expect->code, expect->path));
  assert_untouched (f, before);
}

static void
check_hostile (Fixture      *f,
               const char   *archive,
               const Expect *expect)
{
  /* taken first: verifying writes nothing either */
  g_autofree char *before = listing (f->tmp);

  g_object_unref (assert_verify (archive, expect));
  assert_cli (archive, expect);
  assert_restore_refused (f, archive, expect, before);
}

/* ------------------------------------------------------------------------ */
/* The cases                                                                */

static void
test_control_valid (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autoptr(OsiVerifyReport) restore_report = NULL;
  g_autofree char *archive = make_valid_archive (f, "good.tar.zst", OSI_COMPRESSION_ZSTD);
  g_autofree char *source = tmp_path (f, "source/data");
  g_autofree char *out = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *why = NULL;

  report = osi_archive_verify (archive, NULL, NULL, &error);
  g_assert_no_error (error);
  osi_test_log_findings (report);
  g_assert_cmpuint (osi_verify_report_get_findings (report)->len, ==, 0);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_RESTORABLE);

  g_assert_cmpint (osi_test_run_cli (&out, NULL, c_locale, "verify", archive, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Verdict: restorable"));

  /* the live data is another data set: the restore must visibly replace it */
  g_assert_false (osi_test_trees_equal (f->data, source, NULL));
  before = listing (f->tmp);
  g_assert_true (osi_swap_restore_archive (f->data, archive, NULL, &restore_report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (osi_verify_report_get_verdict (restore_report), ==, OSI_VERDICT_RESTORABLE);
  if (!osi_test_trees_equal (f->data, source, &why))
    g_error ("the restored data differs from the backed up data: %s", why);
  after = listing (f->tmp);
  g_assert_cmpstr (after, ==, before);
  g_assert_null (strstr (after, ".osi-staging."));
  outside = listing (f->outside);
  g_assert_cmpstr (outside, ==, "");
}

static void
test_absolute_path (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autofree char *target = g_build_filename (f->outside, "pwned", NULL);
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    CONFIG_ENTRY,
    { target, AE_IFREG, "pwned\n", -1, NULL, FALSE },
  };
  g_autofree char *archive = write_tar_zst (f, "absolute.tar.zst", entries, G_N_ELEMENTS (entries));

  g_assert_true (g_path_is_absolute (target));
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_ABSOLUTE_PATH, .path = target });
}

static void
test_parent_path (Fixture       *f,
                  gconstpointer  user_data)
{
  /* staging is tmp/.data.osi-staging.XXXXXX: ../outside is the test's */
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "../outside/pwned", AE_IFREG, "pwned\n", -1, NULL, FALSE },
    CONFIG_ENTRY,
  };
  g_autofree char *archive = write_tar_zst (f, "parent.tar.zst", entries, G_N_ELEMENTS (entries));

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_PARENT_PATH, .path = "../outside/pwned" });
}

static void
test_parent_path_inner (Fixture       *f,
                        gconstpointer  user_data)
{
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "rag/../../outside/x", AE_IFREG, "pwned\n", -1, NULL, FALSE },
  };
  g_autofree char *archive = write_tar_zst (f, "parent-inner.tar.zst", entries, G_N_ELEMENTS (entries));

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_PARENT_PATH, .path = "rag/../../outside/x" });
}

/* CVE-2021-28650 shape: a symlink to a folder outside, then a file written
 * "inside" it. */
static void
test_symlink_then_write (Fixture       *f,
                         gconstpointer  user_data)
{
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "rag/evil", AE_IFLNK, NULL, 0, f->outside, FALSE },
    { "rag/evil/pwned", AE_IFREG, "pwned\n", -1, NULL, FALSE },
  };
  g_autofree char *archive = write_tar_zst (f, "symlink.tar.zst", entries, G_N_ELEMENTS (entries));

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_SYMLINK, .path = "rag/evil" });
}

static void
test_hardlink_system (Fixture       *f,
                      gconstpointer  user_data)
{
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "data/passwd", AE_IFREG, NULL, 0, "/etc/passwd", TRUE },
  };
  g_autofree char *archive = write_tar_zst (f, "hardlink-passwd.tar.zst", entries, G_N_ELEMENTS (entries));
  struct stat before, after;
  gboolean have_passwd = stat ("/etc/passwd", &before) == 0;

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_HARDLINK, .path = "data/passwd" });
  if (have_passwd)
    {
      g_assert_cmpint (stat ("/etc/passwd", &after), ==, 0);
      g_assert_cmpint (after.st_nlink, ==, before.st_nlink);
      g_assert_cmpint (after.st_size, ==, before.st_size);
      g_assert_cmpint (after.st_mtim.tv_sec, ==, before.st_mtim.tv_sec);
      g_assert_cmpint (after.st_mtim.tv_nsec, ==, before.st_mtim.tv_nsec);
    }
}

/* A hard link to a file outside, then content for the same name: an
 * extractor that made the link would write through it. */
static void
test_hardlink_outside (Fixture       *f,
                       gconstpointer  user_data)
{
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "data/f", AE_IFREG, NULL, 0, "../outside/f", TRUE },
    { "data/f", AE_IFREG, "pwned\n", -1, NULL, FALSE },
  };
  g_autofree char *archive = NULL;

  put_outside (f, "f", "original\n");
  archive = write_tar_zst (f, "hardlink-outside.tar.zst", entries, G_N_ELEMENTS (entries));
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_HARDLINK, .path = "data/f" });
}

static void
test_char_device (Fixture       *f,
                  gconstpointer  user_data)
{
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "data/null", AE_IFCHR, NULL, 0, NULL, FALSE },
  };
  g_autofree char *archive = write_tar_zst (f, "chardev.tar.zst", entries, G_N_ELEMENTS (entries));

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_SPECIAL_FILE, .path = "data/null" });
}

static void
test_fifo (Fixture       *f,
           gconstpointer  user_data)
{
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "data/fifo", AE_IFIFO, NULL, 0, NULL, FALSE },
  };
  g_autofree char *archive = write_tar_zst (f, "fifo.tar.zst", entries, G_N_ELEMENTS (entries));

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_SPECIAL_FILE, .path = "data/fifo" });
}

static void
test_duplicate (Fixture       *f,
                gconstpointer  user_data)
{
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "data/notes.md", AE_IFREG, "first version\n", -1, NULL, FALSE },
    CONFIG_ENTRY,
    { "data/notes.md", AE_IFREG, "second, different version\n", -1, NULL, FALSE },
  };
  g_autofree char *archive = write_tar_zst (f, "duplicate.tar.zst", entries, G_N_ELEMENTS (entries));

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_DUPLICATE_PATH, .path = "data/notes.md" });
}

/* ---- damaged streams ---- */

static char *
write_prefix (Fixture    *f,
              const char *source,
              const char *name,
              gsize       keep)
{
  gsize len;
  g_autofree char *contents = read_file (source, &len);
  char *path = tmp_path (f, name);

  g_assert_cmpuint (keep, <, len);
  write_bytes (path, (const guint8 *)contents, keep);
  return path;
}

static void
test_truncated_zstd_head (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autofree char *whole = make_valid_archive (f, "whole.tar.zst", OSI_COMPRESSION_ZSTD);
  g_autofree char *archive = write_prefix (f, whole, "cut-10.tar.zst", 10);

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_TRUNCATED });
}

static void
test_truncated_zstd_half (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autofree char *whole = make_valid_archive (f, "whole.tar.zst", OSI_COMPRESSION_ZSTD);
  struct stat st;
  g_autofree char *archive = NULL;

  g_assert_cmpint (stat (whole, &st), ==, 0);
  archive = write_prefix (f, whole, "cut-half.tar.zst", (gsize)st.st_size / 2);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_TRUNCATED });
}

static void
test_truncated_zstd_tail (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autofree char *whole = make_valid_archive (f, "whole.tar.zst", OSI_COMPRESSION_ZSTD);
  struct stat st;
  g_autofree char *archive = NULL;

  g_assert_cmpint (stat (whole, &st), ==, 0);
  archive = write_prefix (f, whole, "cut-tail.tar.zst", (gsize)st.st_size - 100);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_TRUNCATED });
}

static void
test_truncated_gzip (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autofree char *whole = make_valid_archive (f, "whole.tar.gz", OSI_COMPRESSION_GZIP);
  struct stat st;
  g_autofree char *archive = NULL;

  g_assert_cmpint (stat (whole, &st), ==, 0);
  archive = write_prefix (f, whole, "cut-half.tar.gz", (gsize)st.st_size / 2);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_TRUNCATED });
}

/* Where the gzip stream ends: the library's writer pads the file with
 * zeros to a 10 KiB block after it. */
static gsize
gzip_stream_length (const char *data,
                    gsize       len)
{
  g_autoptr(GConverter) decompressor = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
  g_autofree guint8 *sink = g_malloc (CHUNK);
  gsize consumed = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gsize bytes_read = 0;
      gsize bytes_written = 0;
      GConverterResult result;

      result = g_converter_convert (decompressor, data + consumed, len - consumed, sink, CHUNK,
                                    G_CONVERTER_INPUT_AT_END, &bytes_read, &bytes_written, &error);
      g_assert_no_error (error);
      consumed += bytes_read;
      if (result == G_CONVERTER_FINISHED)
        return consumed;
    }
}

/* Cut inside the 8-byte CRC32 and ISIZE trailer: every byte of content is
 * there, the proof that it is whole is not. */
static void
test_truncated_gzip_trailer (Fixture       *f,
                             gconstpointer  user_data)
{
  g_autofree char *whole = make_valid_archive (f, "whole.tar.gz", OSI_COMPRESSION_GZIP);
  g_autofree char *archive = NULL;
  gsize len;
  g_autofree char *contents = read_file (whole, &len);
  gsize end = gzip_stream_length (contents, len);

  g_test_message ("gzip stream: %" G_GSIZE_FORMAT " bytes of %" G_GSIZE_FORMAT, end, len);
  archive = write_prefix (f, whole, "cut-trailer.tar.gz", end - 4);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_TRUNCATED });
}

static void
test_flipped_byte (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *whole = make_valid_archive (f, "whole.tar.zst", OSI_COMPRESSION_ZSTD);
  g_autofree char *archive = tmp_path (f, "flipped.tar.zst");
  gsize len;
  g_autofree char *contents = read_file (whole, &len);

  contents[len / 2] ^= 0xff;
  write_bytes (archive, (const guint8 *)contents, len);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_CORRUPT });
}

static void
test_empty_file (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autofree char *archive = tmp_path (f, "empty.tar.zst");

  write_bytes (archive, (const guint8 *)"", 0);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_EMPTY_FILE });
}

static void
test_random_bytes (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);
  g_autofree guint32 *words = g_new (guint32, 64 * 1024 / 4);
  g_autofree char *archive = tmp_path (f, "random.tar.zst");

  for (guint i = 0; i < 64 * 1024 / 4; i++)
    words[i] = g_rand_int (rand);
  write_bytes (archive, (const guint8 *)words, 64 * 1024);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_UNKNOWN_FORMAT });
}

/* ---- the manifest ---- */

static char *
write_tweaked (Fixture    *f,
               const char *name,
               TweakKind   kind,
               const char *path)
{
  const OsiTestEntry entries[] = { RAG_ENTRY, CONFIG_ENTRY, NOTES_ENTRY };
  Tweak tweak = { kind, path };
  g_autofree char *manifest = make_manifest (entries, G_N_ELEMENTS (entries), &tweak);
  char *archive = tmp_path (f, name);

  write_archive (archive, ARCHIVE_FILTER_ZSTD, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                 entries, G_N_ELEMENTS (entries), manifest);
  return archive;
}

static void
test_checksum_mismatch (Fixture       *f,
                        gconstpointer  user_data)
{
  g_autofree char *archive = write_tweaked (f, "checksum.tar.zst", TWEAK_BAD_SHA, "config/system.json");

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_CHECKSUM_MISMATCH, .path = "config/system.json" });
}

static void
test_size_mismatch (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autofree char *archive = write_tweaked (f, "size.tar.zst", TWEAK_BAD_SIZE, "data/notes.md");

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_SIZE_MISMATCH, .path = "data/notes.md" });
}

static void
test_extra_file (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autofree char *archive = write_tweaked (f, "extra.tar.zst", TWEAK_OMIT, "data/notes.md");

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_EXTRA_FILE, .path = "data/notes.md" });
}

static void
test_missing_file (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *archive = write_tweaked (f, "missing.tar.zst", TWEAK_ADD, "data/ghost.md");

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_MISSING_FILE, .path = "data/ghost.md" });
}

/* No manifest: nothing is wrong, nothing is proven. Restoring stays
 * possible (a bare JSON backup never has a manifest) and must stay inside
 * the data folder. */
static void
test_manifest_missing (Fixture       *f,
                       gconstpointer  user_data)
{
  const OsiTestEntry entries[] = { RAG_ENTRY, CONFIG_ENTRY, NOTES_ENTRY };
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autoptr(OsiVerifyReport) restore_report = NULL;
  g_autofree char *archive = tmp_path (f, "no-manifest.tar.zst");
  g_autofree char *expected = tmp_path (f, "expected");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *why = NULL;
  const Expect expect = { .code = OSI_FINDING_MANIFEST_MISSING, .unproven = TRUE };
  OsiArchiveLimits limits;

  write_archive (archive, ARCHIVE_FILTER_ZSTD, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                 entries, G_N_ELEMENTS (entries), NULL);
  report = assert_verify (archive, &expect);
  /* the only finding, and not an error */
  g_assert_cmpuint (osi_verify_report_get_findings (report)->len, ==, 1);
  assert_cli (archive, &expect);

  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    {
      g_autofree char *path = g_build_filename (expected, entries[i].path, NULL);
      g_autofree char *dir = g_path_get_dirname (path);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      write_bytes (path, (const guint8 *)entries[i].data, osi_test_entry_len (&entries[i]));
    }

  /* unproven is not restored by default */
  before = listing (f->tmp);
  assert_restore_refused (f, archive, &expect, before);

  /* only when the caller accepts it (a bare .json from an older backend) */
  osi_archive_limits_init (&limits);
  limits.allow_unproven = TRUE;
  g_assert_true (osi_swap_restore_archive (f->data, archive, &limits, &restore_report, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (report_has (restore_report, OSI_FINDING_MANIFEST_MISSING, NULL));
  if (!osi_test_trees_equal (f->data, expected, &why))
    g_error ("the restored data differs from the archive: %s", why);
  after = listing (f->tmp);
  g_assert_cmpstr (after, ==, before);
  g_assert_null (strstr (after, ".osi-staging."));
  g_assert_null (strstr (after, ".osi-swap"));
  outside = listing (f->outside);
  g_assert_cmpstr (outside, ==, "");
}

/* 100,000 nested arrays: json-glib's recursive parser would overflow
 * its stack (it killed the server and the CLI); the nesting is refused
 * before it parses. */
static void
test_manifest_deep (Fixture       *f,
                    gconstpointer  user_data)
{
  const OsiTestEntry entries[] = { RAG_ENTRY, CONFIG_ENTRY };
  g_autofree char *archive = tmp_path (f, "manifest-deep.tar.zst");
  g_autofree char *deep = g_strnfill (100000, '[');

  write_archive (archive, ARCHIVE_FILTER_ZSTD, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                 entries, G_N_ELEMENTS (entries), deep);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_MANIFEST_INVALID, .path = OSI_MANIFEST_NAME });
}

static void
test_manifest_not_json (Fixture       *f,
                        gconstpointer  user_data)
{
  const OsiTestEntry entries[] = { RAG_ENTRY, CONFIG_ENTRY };
  g_autofree char *archive = tmp_path (f, "manifest-garbage.tar.zst");

  write_archive (archive, ARCHIVE_FILTER_ZSTD, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                 entries, G_N_ELEMENTS (entries), "{\"format\": \"osi-backup\", \"version\": 1, \"files\": [");
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_MANIFEST_INVALID, .path = OSI_MANIFEST_NAME });
}

static void
test_manifest_wrong_format (Fixture       *f,
                            gconstpointer  user_data)
{
  const OsiTestEntry entries[] = { RAG_ENTRY, CONFIG_ENTRY };
  g_autofree char *archive = tmp_path (f, "manifest-format.tar.zst");
  g_autofree char *manifest = make_manifest_full (entries, G_N_ELEMENTS (entries), NULL, "other-backup", 1);

  write_archive (archive, ARCHIVE_FILTER_ZSTD, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                 entries, G_N_ELEMENTS (entries), manifest);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_MANIFEST_INVALID, .path = OSI_MANIFEST_NAME });
}

static void
test_manifest_wrong_version (Fixture       *f,
                             gconstpointer  user_data)
{
  const OsiTestEntry entries[] = { RAG_ENTRY, CONFIG_ENTRY };
  g_autofree char *archive = tmp_path (f, "manifest-version.tar.zst");
  g_autofree char *manifest = make_manifest_full (entries, G_N_ELEMENTS (entries), NULL, "osi-backup", 2);

  write_archive (archive, ARCHIVE_FILTER_ZSTD, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                 entries, G_N_ELEMENTS (entries), manifest);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_MANIFEST_INVALID, .path = OSI_MANIFEST_NAME });
}

/* ---- the knowledge base ---- */

static char *
write_with_rag (Fixture    *f,
                const char *name,
                const char *rag)
{
  const OsiTestEntry entries[] = {
    { OSI_RAG_PATH, AE_IFREG, rag, -1, NULL, FALSE },
    CONFIG_ENTRY,
  };

  return write_tar_zst (f, name, entries, G_N_ELEMENTS (entries));
}

static void
test_rag_not_json (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *archive = write_with_rag (f, "rag-garbage.tar.zst",
                                             "{\"inscription\": {\"name\": \"inscription\",");

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_RAG_INVALID_JSON, .path = OSI_RAG_PATH });
}

static void
test_rag_root_array (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autofree char *archive = write_with_rag (f, "rag-array.tar.zst", "[{\"name\": \"inscription\"}]\n");

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_RAG_INVALID_SCHEMA, .path = OSI_RAG_PATH });
}

static void
test_rag_no_details (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autofree char *archive = write_with_rag (f, "rag-no-details.tar.zst",
    "{\"inscription\": {\"name\": \"inscription\", \"description\": \"S’inscrire\",\n"
    "  \"search\": \"inscription\", \"keywords\": [\"inscription\"], \"links\": []}}\n");

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_RAG_INVALID_SCHEMA, .path = OSI_RAG_PATH });
}

static void
test_rag_missing (Fixture       *f,
                  gconstpointer  user_data)
{
  const OsiTestEntry entries[] = { CONFIG_ENTRY, NOTES_ENTRY };
  g_autofree char *archive = write_tar_zst (f, "rag-missing.tar.zst", entries, G_N_ELEMENTS (entries));

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_RAG_MISSING, .path = OSI_RAG_PATH });
}

/* A file named like a bare knowledge base that is not JSON. */
static void
test_bare_json_garbage (Fixture       *f,
                        gconstpointer  user_data)
{
  g_autofree char *archive = tmp_path (f, "backup.json");

  static const char garbage[] = "PK\003\004 this is not JSON";

  write_bytes (archive, (const guint8 *)garbage, sizeof garbage - 1);
  /* a bare knowledge base never has a manifest */
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_RAG_INVALID_JSON, .path = OSI_RAG_PATH,
                                        .has_also = TRUE, .also = OSI_FINDING_MANIFEST_MISSING });
}

/* ---- limits ---- */

static void
write_regular (struct archive *a,
               const char     *path,
               const void     *data,
               gsize           len)
{
  struct archive_entry *entry = archive_entry_new ();

  archive_entry_copy_pathname (entry, path);
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_mtime (entry, 1764000000, 0);
  archive_entry_set_size (entry, (la_int64_t)len);
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  if (data != NULL && len > 0)
    g_assert_cmpint (archive_write_data (a, data, len), ==, (la_ssize_t)len);
  archive_entry_free (entry);
}

/* One file of BOMB_SIZE zeros, streamed in; the manifest first and true,
 * so that only the expansion is wrong with it. */
static char *
write_bomb (Fixture *f)
{
  g_autofree guint8 *zeros = g_malloc0 (CHUNK);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(JsonBuilder) builder = osi_test_manifest_begin ("osi-backup", 1);
  g_autofree char *rag_sha = NULL;
  g_autofree char *manifest = NULL;
  const char *rag = osi_test_valid_rag ();
  char *path = tmp_path (f, "bomb.tar.zst");
  struct archive_entry *entry;
  struct archive *a;
  struct stat st;

  for (guint64 done = 0; done < BOMB_SIZE; done += CHUNK)
    g_checksum_update (checksum, zeros, CHUNK);
  rag_sha = sha256_hex (rag, strlen (rag));
  osi_test_manifest_add (builder, OSI_RAG_PATH, (gint64)strlen (rag), rag_sha);
  osi_test_manifest_add (builder, "data/zeros.bin", (gint64)BOMB_SIZE, g_checksum_get_string (checksum));
  manifest = osi_test_manifest_end (builder);

  a = archive_write_new ();
  g_assert_cmpint (archive_write_add_filter_zstd (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_set_format_pax_restricted (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (a, path), ==, ARCHIVE_OK);
  write_regular (a, OSI_MANIFEST_NAME, manifest, strlen (manifest));
  write_regular (a, OSI_RAG_PATH, rag, strlen (rag));

  entry = archive_entry_new ();
  archive_entry_copy_pathname (entry, "data/zeros.bin");
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, (la_int64_t)BOMB_SIZE);
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  archive_entry_free (entry);
  for (guint64 done = 0; done < BOMB_SIZE; done += CHUNK)
    g_assert_cmpint (archive_write_data (a, zeros, CHUNK), ==, CHUNK);

  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);

  g_assert_cmpint (stat (path, &st), ==, 0);
  g_test_message ("bomb: %" G_GUINT64_FORMAT " bytes in an archive of %" G_GINT64_FORMAT,
                  BOMB_SIZE, (gint64)st.st_size);
  g_assert_cmpint (st.st_size, <, 1024 * 1024);
  return path;
}

static void
test_bomb_ratio (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autofree char *archive = write_bomb (f);

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_RATIO_EXCEEDED });
}

static void
test_bomb_too_large (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autofree char *archive = write_bomb (f);
  g_autofree char *max = g_strdup_printf ("%d", 10 * 1024 * 1024);
  OsiArchiveLimits limits;

  osi_archive_limits_init (&limits);
  limits.max_content_bytes = 10 * 1024 * 1024;
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_TOO_LARGE, .limits = &limits,
                                        .cli_option = "--max-size", .cli_value = max });
}

static void
test_too_many_entries (Fixture       *f,
                       gconstpointer  user_data)
{
  OsiTestEntry entries[21] = { RAG_ENTRY };
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *archive = NULL;
  OsiArchiveLimits limits;

  /* 21 entries against a limit of 10 */
  for (guint i = 1; i < G_N_ELEMENTS (entries); i++)
    {
      char *name = g_strdup_printf ("data/file-%02u.txt", i);

      g_ptr_array_add (names, name);
      entries[i] = (OsiTestEntry){ name, AE_IFREG, "x\n", -1, NULL, FALSE };
    }
  archive = write_tar_zst (f, "many.tar.zst", entries, G_N_ELEMENTS (entries));

  osi_archive_limits_init (&limits);
  limits.max_entries = 10;
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_TOO_MANY_ENTRIES, .limits = &limits,
                                        .cli_option = "--max-entries", .cli_value = "10" });
}

/* ---- names and other containers ---- */

static void
test_name_not_utf8 (Fixture       *f,
                    gconstpointer  user_data)
{
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "data/caf\xe9.txt", AE_IFREG, "latin-1\n", -1, NULL, FALSE },
  };
  g_autofree char *manifest = make_manifest (entries, G_N_ELEMENTS (entries), NULL);
  g_autofree char *archive = tmp_path (f, "latin1.tar");

  write_archive (archive, ARCHIVE_FILTER_NONE, ARCHIVE_FORMAT_TAR_USTAR,
                 entries, G_N_ELEMENTS (entries), manifest);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_NAME_NOT_UTF8 });
}

static void
test_zip_parent (Fixture       *f,
                 gconstpointer  user_data)
{
  const OsiTestEntry entries[] = {
    RAG_ENTRY,
    { "../outside/pwned", AE_IFREG, "pwned\n", -1, NULL, FALSE },
  };
  g_autofree char *manifest = make_manifest (entries, G_N_ELEMENTS (entries), NULL);
  g_autofree char *archive = tmp_path (f, "parent.zip");

  write_archive (archive, ARCHIVE_FILTER_NONE, ARCHIVE_FORMAT_ZIP,
                 entries, G_N_ELEMENTS (entries), manifest);
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_PARENT_PATH, .path = "../outside/pwned" });
}

static void
test_manifest_empty (Fixture       *f,
                     gconstpointer  user_data)
{
  const OsiTestEntry entries[] = { RAG_ENTRY, CONFIG_ENTRY };
  g_autofree char *archive = tmp_path (f, "manifest-empty.tar.zst");

  write_archive (archive, ARCHIVE_FILTER_ZSTD, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                 entries, G_N_ELEMENTS (entries), "");
  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_MANIFEST_INVALID, .path = OSI_MANIFEST_NAME });
}

/* A sparse entry of 8 GiB made of one hole and one byte: a few hundred
 * bytes of archive. The hole counts against the limits like data. */
static void
test_sparse_bomb (Fixture       *f,
                  gconstpointer  user_data)
{
  const gint64 size = G_GINT64_CONSTANT (8) << 30;
  g_autofree char *archive = tmp_path (f, "sparse-bomb.tar.zst");
  struct archive *a = archive_write_new ();
  struct archive_entry *entry = archive_entry_new ();
  const char *rag = osi_test_valid_rag ();

  g_assert_cmpint (archive_write_add_filter_zstd (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_set_format_pax (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (a, archive), ==, ARCHIVE_OK);
  write_regular (a, OSI_RAG_PATH, rag, strlen (rag));

  archive_entry_copy_pathname (entry, "data/holes.bin");
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, size);
  archive_entry_sparse_add_entry (entry, size - 1, 1);
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_data (a, "x", 1), ==, 1);
  archive_entry_free (entry);
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);

  check_hostile (f, archive, &(Expect){ .code = OSI_FINDING_RATIO_EXCEEDED });
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/hostile/control/valid", test_control_valid);
  ADD ("/hostile/path/absolute", test_absolute_path);
  ADD ("/hostile/path/parent", test_parent_path);
  ADD ("/hostile/path/parent-inner", test_parent_path_inner);
  ADD ("/hostile/path/duplicate", test_duplicate);
  ADD ("/hostile/path/not-utf8", test_name_not_utf8);
  ADD ("/hostile/link/symlink-then-write", test_symlink_then_write);
  ADD ("/hostile/link/hardlink-etc-passwd", test_hardlink_system);
  ADD ("/hostile/link/hardlink-outside", test_hardlink_outside);
  ADD ("/hostile/special/char-device", test_char_device);
  ADD ("/hostile/special/fifo", test_fifo);
  ADD ("/hostile/stream/truncated-zstd-10-bytes", test_truncated_zstd_head);
  ADD ("/hostile/stream/truncated-zstd-half", test_truncated_zstd_half);
  ADD ("/hostile/stream/truncated-zstd-tail", test_truncated_zstd_tail);
  ADD ("/hostile/stream/truncated-gzip-half", test_truncated_gzip);
  ADD ("/hostile/stream/truncated-gzip-trailer", test_truncated_gzip_trailer);
  ADD ("/hostile/stream/flipped-byte", test_flipped_byte);
  ADD ("/hostile/stream/empty-file", test_empty_file);
  ADD ("/hostile/stream/random-bytes", test_random_bytes);
  ADD ("/hostile/manifest/checksum-mismatch", test_checksum_mismatch);
  ADD ("/hostile/manifest/size-mismatch", test_size_mismatch);
  ADD ("/hostile/manifest/extra-file", test_extra_file);
  ADD ("/hostile/manifest/missing-file", test_missing_file);
  ADD ("/hostile/manifest/missing", test_manifest_missing);
  ADD ("/hostile/manifest/not-json", test_manifest_not_json);
  ADD ("/hostile/manifest/deep", test_manifest_deep);
  ADD ("/hostile/manifest/empty", test_manifest_empty);
  ADD ("/hostile/limits/sparse-bomb", test_sparse_bomb);
  ADD ("/hostile/manifest/wrong-format", test_manifest_wrong_format);
  ADD ("/hostile/manifest/wrong-version", test_manifest_wrong_version);
  ADD ("/hostile/rag/not-json", test_rag_not_json);
  ADD ("/hostile/rag/schema-root-array", test_rag_root_array);
  ADD ("/hostile/rag/schema-no-details", test_rag_no_details);
  ADD ("/hostile/rag/missing", test_rag_missing);
  ADD ("/hostile/rag/bare-json-garbage", test_bare_json_garbage);
  ADD ("/hostile/limits/bomb-ratio", test_bomb_ratio);
  ADD ("/hostile/limits/bomb-too-large", test_bomb_too_large);
  ADD ("/hostile/limits/too-many-entries", test_too_many_entries);
  ADD ("/hostile/zip/parent", test_zip_parent);
#undef ADD

  return g_test_run ();
}
