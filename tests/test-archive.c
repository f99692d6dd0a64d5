/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "osi-archive.h"
#include "osi-archive-private.h"
#include "osi-error.h"
#include "osi-sha256.h"
#include "osi-swap.h"
#include "osi-test-reports.h"
#include "osi-test-support.h"

typedef struct
{
  char *tmp;
  char *data;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, 2 * 1024 * 1024, 7);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
}

static void
assert_restorable (OsiVerifyReport *report)
{
  osi_test_log_findings (report);
  g_assert_cmpuint (osi_verify_report_get_findings (report)->len, ==, 0);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_RESTORABLE);
}

/* The digest osi_archive_create () returned is that of the archive on
 * disk, computed here by GLib, independently of osi_sha256. */
static void
assert_digest_of (const char *archive,
                  const char *sha)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;
  gsize length;

  g_assert_nonnull (sha);
  g_assert_true (g_file_get_contents (archive, &contents, &length, &error));
  g_assert_no_error (error);
  expected = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents, length);
  g_assert_cmpstr (sha, ==, expected);
}

static void
round_trip (Fixture        *f,
            OsiCompression  compression,
            const char     *name,
            const char     *format)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autoptr(OsiVerifyReport) extract_report = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, name, NULL);
  g_autofree char *staging = g_build_filename (f->tmp, "staging", NULL);
  g_autofree char *sha = NULL;
  g_autofree char *why = NULL;
  struct stat st;

  g_assert_true (osi_archive_create (f->data, archive, compression, &sha, NULL, &error));
  g_assert_no_error (error);
  assert_digest_of (archive, sha);
  g_assert_cmpint (stat (archive, &st), ==, 0);
  /* backups hold secrets */
  g_assert_cmpint (st.st_mode & 0077, ==, 0);

  report = osi_archive_verify (archive, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_restorable (report);
  g_assert_cmpstr (osi_verify_report_get_format (report), ==, format);
  g_assert_cmpint (osi_verify_report_get_rag_entries (report), >, 0);
  g_assert_nonnull (osi_verify_report_get_manifest (report));
  g_assert_cmpint (json_object_get_int_member (osi_verify_report_get_manifest (report), "rag_entries"),
                   ==, osi_verify_report_get_rag_entries (report));

  g_assert_cmpint (g_mkdir (staging, 0755), ==, 0);
  g_assert_true (osi_archive_extract (archive, staging, NULL, &extract_report, NULL, &error));
  g_assert_no_error (error);
  assert_restorable (extract_report);

  if (!osi_test_trees_equal (f->data, staging, &why))
    g_error ("extracted tree differs: %s", why);
  /* the manifest describes the tree; it is not part of it */
  {
    g_autofree char *manifest = g_build_filename (staging, "manifest.json", NULL);
    g_assert_false (g_file_test (manifest, G_FILE_TEST_EXISTS));
  }
}

static void
test_round_trip_zstd (Fixture       *f,
                      gconstpointer  user_data)
{
  round_trip (f, OSI_COMPRESSION_ZSTD, "backup_20261126_101500.tar.zst", "tar.zst");
}

static void
test_round_trip_gzip (Fixture       *f,
                      gconstpointer  user_data)
{
  round_trip (f, OSI_COMPRESSION_GZIP, "backup_20261126_101500.tar.gz", "tar.gz");
}

/* An archive written by another tool that follows docs/archive-format.md §4: plain tar
 * entries with "./" prefixes, directories listed, manifest first. */
static void
test_foreign_archive (Fixture       *f,
                      gconstpointer  user_data)
{
  const char *rag = osi_test_valid_rag ();
  const OsiTestEntry entries[] = {
    { "./rag/", AE_IFDIR, NULL, 0, NULL, FALSE },
    { "./rag/search.json", AE_IFREG, rag, -1, NULL, FALSE },
    { "./config/system.json", AE_IFREG, "{\"model\": \"mistral\"}", -1, NULL, FALSE },
    { "data/Règlement intérieur.md", AE_IFREG, "# Règlement\n", -1, NULL, FALSE },
  };
  const char *formats[] = { "tar.gz", "zip" };
  const int filters[] = { ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_NONE };
  const int archive_formats[] = { ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FORMAT_ZIP };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiVerifyReport) report = NULL;
      g_autofree char *name = g_strdup_printf ("foreign.%s", formats[i]);
      g_autofree char *archive = g_build_filename (f->tmp, name, NULL);

      /* the manifest names canonical paths */
      osi_test_write_archive (archive, filters[i], archive_formats[i], entries, G_N_ELEMENTS (entries), TRUE);
      report = osi_archive_verify (archive, NULL, NULL, &error);
      g_assert_no_error (error);
      /* the manifest lists "./rag/search.json": compared in canonical form */
      assert_restorable (report);
      g_assert_cmpint (osi_verify_report_get_rag_entries (report), ==, 1);
      g_assert_cmpstr (osi_verify_report_get_format (report), ==, formats[i]);
    }
}

/* A sparse file ending with a hole (as `tar --sparse` writes a mostly
 * empty database file) verifies against its full contents and extracts
 * to its full size. */
static void
test_sparse_round_trip (Fixture       *f,
                        gconstpointer  user_data)
{
  const gint64 size = 4 * 1024 * 1024;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autoptr(OsiSha256) sha = osi_sha256_new ();
  g_autofree guint8 *contents = g_malloc0 (size);
  g_autofree char *archive = g_build_filename (f->tmp, "sparse.tar.zst", NULL);
  g_autofree char *staging = g_build_filename (f->tmp, "staging", NULL);
  g_autofree char *extracted = NULL;
  g_autofree char *extracted_path = g_build_filename (staging, "data", "db.bin", NULL);
  g_autofree char *manifest = NULL;
  char hex[OSI_SHA256_HEX_LEN + 1];
  char rag_hex[OSI_SHA256_HEX_LEN + 1];
  const char *rag = osi_test_valid_rag ();
  struct archive *a = archive_write_new ();
  struct archive_entry *entry;
  gsize len;

  memcpy (contents + 1024 * 1024, "middle", 6);
  osi_sha256_update (sha, contents, size);
  osi_sha256_finish_hex (sha, hex);
  osi_sha256_update (sha, rag, strlen (rag));
  osi_sha256_finish_hex (sha, rag_hex);
  manifest = g_strdup_printf ("{\"format\": \"osi-backup\", \"version\": 1, \"created\": \"2026-11-26T10:00:00Z\","
                              " \"host\": \"h\", \"rag_entries\": 1, \"files\": ["
                              "{\"path\": \"rag/search.json\", \"size\": %" G_GSIZE_FORMAT ", \"sha256\": \"%s\"},"
                              "{\"path\": \"data/db.bin\", \"size\": %" G_GINT64_FORMAT ", \"sha256\": \"%s\"}]}",
                              strlen (rag), rag_hex, size, hex);

  g_assert_cmpint (archive_write_add_filter_zstd (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_set_format_pax (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (a, archive), ==, ARCHIVE_OK);
  entry = archive_entry_new ();
  archive_entry_copy_pathname (entry, "rag/search.json");
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, (la_int64_t)strlen (rag));
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_data (a, rag, strlen (rag)), ==, (la_ssize_t)strlen (rag));
  archive_entry_clear (entry);
  archive_entry_copy_pathname (entry, "data/db.bin");
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, size);
  archive_entry_sparse_add_entry (entry, 1024 * 1024, 6);
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  /* the writer is given the whole file and stores the data regions only */
  g_assert_cmpint (archive_write_data (a, contents, size), ==, size);
  archive_entry_clear (entry);
  archive_entry_copy_pathname (entry, "manifest.json");
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, (la_int64_t)strlen (manifest));
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_data (a, manifest, strlen (manifest)), ==, (la_ssize_t)strlen (manifest));
  archive_entry_free (entry);
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);

  report = osi_archive_verify (archive, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_restorable (report);

  g_assert_cmpint (g_mkdir (staging, 0755), ==, 0);
  g_assert_true (osi_archive_extract (archive, staging, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (extracted_path, (char **)&extracted, &len, NULL));
  g_assert_cmpuint (len, ==, (gsize)size);
  g_assert_true (memcmp (extracted, contents, size) == 0);
}

static void
test_bare_json (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autofree char *path = g_build_filename (f->tmp, "search.json", NULL);

  g_assert_true (g_file_set_contents (path, osi_test_valid_rag (), -1, NULL));
  report = osi_archive_verify (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_UNPROVEN);
  g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_MANIFEST_MISSING));
  g_assert_cmpint (osi_verify_report_get_rag_entries (report), ==, 1);
  g_assert_cmpstr (osi_verify_report_get_format (report), ==, "json");
}

/* Modes on extraction: the archive's, never setuid, setgid or sticky,
 * narrowed by the umask; a folder stays its owner's to fill. */
typedef struct
{
  const char *path;
  mode_t      type;
  mode_t      perm;
  mode_t      with_umask_0;
  mode_t      with_umask_022;
} ModedEntry;

static void
write_moded_archive (const char       *archive,
                     const ModedEntry *entries,
                     guint             n_entries)
{
  g_autoptr(GString) manifest = g_string_new ("{\"format\": \"osi-backup\", \"version\": 1, "
                                              "\"created\": \"2026-11-26T10:00:00Z\", \"host\": \"h\", "
                                              "\"rag_entries\": 1, \"files\": [");
  struct archive *a = archive_write_new ();
  struct archive_entry *entry = archive_entry_new ();
  gboolean first = TRUE;

  g_assert_cmpint (archive_write_add_filter_zstd (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_set_format_pax_restricted (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (a, archive), ==, ARCHIVE_OK);
  for (guint i = 0; i <= n_entries; i++)
    {
      const char *path = i < n_entries ? entries[i].path : "manifest.json";
      gboolean is_dir = i < n_entries && entries[i].type == AE_IFDIR;
      g_autofree char *data = NULL;

      if (i == n_entries)
        data = g_string_free (g_string_append (g_string_new (manifest->str), "]}"), FALSE);
      else if (strcmp (path, "rag/search.json") == 0)
        data = g_strdup (osi_test_valid_rag ());
      else if (!is_dir)
        data = g_strdup_printf ("contents of %s\n", path);

      archive_entry_clear (entry);
      archive_entry_copy_pathname (entry, path);
      archive_entry_set_filetype (entry, is_dir ? AE_IFDIR : AE_IFREG);
      archive_entry_set_perm (entry, i < n_entries ? entries[i].perm : 0644);
      archive_entry_set_size (entry, data != NULL ? (la_int64_t)strlen (data) : 0);
      g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
      if (data != NULL)
        g_assert_cmpint (archive_write_data (a, data, strlen (data)), ==, (la_ssize_t)strlen (data));
      if (data != NULL && i < n_entries)
        {
          g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, data, -1);

          g_string_append_printf (manifest, "%s{\"path\": \"%s\", \"size\": %" G_GSIZE_FORMAT ", \"sha256\": \"%s\"}",
                                  first ? "" : ", ", path, strlen (data), sha);
          first = FALSE;
        }
    }
  archive_entry_free (entry);
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
}

static void
test_extract_modes (Fixture       *f,
                    gconstpointer  user_data)
{
  const ModedEntry entries[] = {
    { "rag", AE_IFDIR, 0755, 0755, 0755 },
    { "rag/search.json", AE_IFREG, 0644, 0644, 0644 },
    { "config", AE_IFDIR, 0700, 0700, 0700 },
    { "config/secrets.env", AE_IFREG, 0600, 0600, 0600 },
    { "config/group.env", AE_IFREG, 0640, 0640, 0640 },
    { "data", AE_IFDIR, 01777, 0777, 0755 },
    { "data/setuid", AE_IFREG, 04755, 0755, 0755 },
    { "data/setgid", AE_IFREG, 02750, 0750, 0750 },
    { "data/sticky", AE_IFREG, 01644, 0644, 0644 },
    { "data/everyone", AE_IFREG, 0666, 0666, 0644 },
    { "data/read-only", AE_IFREG, 0400, 0400, 0400 },
    /* a file before its folder's entry: the folder still gets its mode */
    { "data/late/file", AE_IFREG, 0600, 0600, 0600 },
    { "data/late", AE_IFDIR, 02750, 0750, 0750 },
    /* a folder the owner could not fill is the owner's anyway */
    { "data/locked", AE_IFDIR, 0500, 0700, 0700 },
    { "data/locked/file", AE_IFREG, 0644, 0644, 0644 },
  };
  const mode_t umasks[] = { 0, 022 };
  g_autofree char *archive = g_build_filename (f->tmp, "modes.tar.zst", NULL);

  write_moded_archive (archive, entries, G_N_ELEMENTS (entries));

  for (guint u = 0; u < G_N_ELEMENTS (umasks); u++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiVerifyReport) report = NULL;
      g_autofree char *name = g_strdup_printf ("staging-%u", u);
      g_autofree char *staging = g_build_filename (f->tmp, name, NULL);
      mode_t saved;
      gboolean ok;

      g_assert_cmpint (g_mkdir (staging, 0700), ==, 0);
      saved = umask (umasks[u]);
      ok = osi_archive_extract (archive, staging, NULL, &report, NULL, &error);
      umask (saved);
      g_assert_no_error (error);
      g_assert_true (ok);
      assert_restorable (report);

      for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
        {
          g_autofree char *path = g_build_filename (staging, entries[i].path, NULL);
          mode_t expected = umasks[u] == 0 ? entries[i].with_umask_0 : entries[i].with_umask_022;
          struct stat st;

          g_assert_cmpint (lstat (path, &st), ==, 0);
          if ((st.st_mode & 07777) != expected)
            g_error ("%s under umask %03o: %04o, not %04o", entries[i].path, (guint)umasks[u],
                     (guint)(st.st_mode & 07777), (guint)expected);
        }
    }
}

/* A bare knowledge base has no mode: a new file's, under the umask. */
static void
test_extract_bare_json_mode (Fixture       *f,
                             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmp, "search.json", NULL);
  g_autofree char *staging = g_build_filename (f->tmp, "staging", NULL);
  g_autofree char *extracted = g_build_filename (staging, "rag", "search.json", NULL);
  OsiArchiveLimits limits;
  struct stat st;
  mode_t saved;
  gboolean ok;

  osi_archive_limits_init (&limits);
  limits.allow_unproven = TRUE;
  g_assert_true (g_file_set_contents (path, osi_test_valid_rag (), -1, NULL));
  g_assert_cmpint (g_mkdir (staging, 0700), ==, 0);
  saved = umask (077);
  ok = osi_archive_extract (path, staging, &limits, NULL, NULL, &error);
  umask (saved);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (lstat (extracted, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
}

/* Creation records each file's and folder's mode as it is (less setuid,
 * setgid and sticky), so that a restore can give it back. */
static void
test_create_records_modes (Fixture       *f,
                           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "recorded.tar.zst", NULL);
  g_autofree char *secrets = g_build_filename (f->data, "config", "secrets.env", NULL);
  g_autofree char *config = g_build_filename (f->data, "config", NULL);
  g_autofree char *setuid = g_build_filename (f->data, "data", "setuid", NULL);
  struct archive *a = archive_read_new ();
  struct archive_entry *entry;
  guint found = 0;

  g_assert_true (g_file_set_contents (secrets, "API_KEY=x\n", -1, NULL));
  g_assert_cmpint (chmod (secrets, 0600), ==, 0);
  g_assert_cmpint (chmod (config, 0750), ==, 0);
  g_assert_true (g_file_set_contents (setuid, "#!/bin/sh\n", -1, NULL));
  g_assert_cmpint (chmod (setuid, 04750), ==, 0);
  g_assert_true (osi_archive_create (f->data, archive, OSI_COMPRESSION_ZSTD, NULL, NULL, &error));
  g_assert_no_error (error);

  archive_read_support_filter_zstd (a);
  archive_read_support_format_tar (a);
  g_assert_cmpint (archive_read_open_filename (a, archive, 65536), ==, ARCHIVE_OK);
  /* ARCHIVE_WARN, NULL names: the "C" locale of the test cannot convert
   * the demo's accented names, which do not matter here */
  while (archive_read_next_header (a, &entry) >= ARCHIVE_WARN)
    {
      g_autofree char *path = g_strdup (archive_entry_pathname (entry));
      mode_t perm = archive_entry_perm (entry);
      mode_t expected;

      if (path == NULL)
        continue;
      if (g_str_has_suffix (path, "/"))
        path[strlen (path) - 1] = '\0';
      expected = strcmp (path, "config/secrets.env") == 0 ? 0600
               : strcmp (path, "config") == 0 ? 0750
               : strcmp (path, "data/setuid") == 0 ? 0750
               : 0;
      if (expected != 0)
        {
          g_assert_cmpint (perm, ==, expected);
          found++;
        }
    }
  archive_read_free (a);
  g_assert_cmpuint (found, ==, 3);
}

static void
test_create_never_replaces (Fixture       *f,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "existing.tar.zst", NULL);
  g_autofree char *contents = NULL;
  GDir *dir;
  const char *name;

  g_assert_true (g_file_set_contents (archive, "precious", -1, NULL));
  g_assert_false (osi_archive_create (f->data, archive, OSI_COMPRESSION_ZSTD, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_true (g_file_get_contents (archive, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "precious");

  /* and no temporary file is left behind */
  dir = g_dir_open (f->tmp, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (name, ".part"));
  g_dir_close (dir);
}

static void
test_create_missing_dir (Fixture       *f,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->tmp, "nope", NULL);
  g_autofree char *archive = g_build_filename (f->tmp, "x.tar.zst", NULL);

  g_assert_false (osi_archive_create (missing, archive, OSI_COMPRESSION_ZSTD, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (g_file_test (archive, G_FILE_TEST_EXISTS));
}

static void
test_default_name (void)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+02:00");
  g_autoptr(GDateTime) time = g_date_time_new (tz, 2026, 11, 26, 10, 15, 30);
  g_autofree char *zst = osi_archive_default_name (time, OSI_COMPRESSION_ZSTD);
  g_autofree char *gz = osi_archive_default_name (time, OSI_COMPRESSION_GZIP);

  g_assert_cmpstr (zst, ==, "backup_20261126_081530.tar.zst");
  g_assert_cmpstr (gz, ==, "backup_20261126_081530.tar.gz");
}

typedef struct
{
  GMainLoop       *loop;
  GCancellable    *cancellable;
  guint            progress_calls;
  guint64          last_done;
  guint64          last_total;
  gboolean         ok;
  GError          *error;
  OsiVerifyReport *report;
  char            *sha;
  GThread         *main_thread;
} AsyncState;

static void
on_progress (guint64  done,
             guint64  total,
             gpointer user_data)
{
  AsyncState *state = user_data;

  /* relayed to the caller's context */
  g_assert_true (g_thread_self () == state->main_thread);
  g_assert_cmpuint (done, >=, state->last_done);
  state->progress_calls++;
  state->last_done = done;
  state->last_total = total;
  if (state->cancellable != NULL && done > 0)
    g_cancellable_cancel (state->cancellable);
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsyncState *state = user_data;

  state->ok = osi_archive_create_finish (result, &state->sha, &state->error);
  g_main_loop_quit (state->loop);
}

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  AsyncState *state = user_data;

  state->report = osi_archive_verify_finish (result, &state->error);
  g_main_loop_quit (state->loop);
}

static void
test_async (Fixture       *f,
            gconstpointer  user_data)
{
  g_autofree char *archive = g_build_filename (f->tmp, "async.tar.zst", NULL);
  AsyncState state = { 0 };

  state.loop = g_main_loop_new (NULL, FALSE);
  state.main_thread = g_thread_self ();

  osi_archive_create_async (f->data, archive, OSI_COMPRESSION_ZSTD, on_progress, &state, NULL,
                            on_created, &state);
  g_main_loop_run (state.loop);
  g_assert_no_error (state.error);
  g_assert_true (state.ok);
  assert_digest_of (archive, state.sha);
  g_assert_cmpuint (state.progress_calls, >, 0);
  g_assert_cmpuint (state.last_done, ==, state.last_total);

  state.progress_calls = 0;
  state.last_done = 0;
  osi_archive_verify_async (archive, NULL, on_progress, &state, NULL, on_verified, &state);
  g_main_loop_run (state.loop);
  g_assert_no_error (state.error);
  assert_restorable (state.report);
  g_assert_cmpuint (state.progress_calls, >, 0);

  /* drain relayed progress before the state goes away */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&state.report);
  g_free (state.sha);
  g_main_loop_unref (state.loop);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *archive = g_build_filename (f->tmp, "cancelled.tar.zst", NULL);
  OsiVerifyReport *report;
  GDir *dir;
  const char *name;

  g_cancellable_cancel (cancellable);
  g_assert_false (osi_archive_create (f->data, archive, OSI_COMPRESSION_ZSTD, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (archive, G_FILE_TEST_EXISTS));
  dir = g_dir_open (f->tmp, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (name, ".part"));
  g_dir_close (dir);
  g_clear_error (&error);

  g_assert_true (osi_archive_create (f->data, archive, OSI_COMPRESSION_ZSTD, NULL, NULL, &error));
  report = osi_archive_verify (archive, NULL, cancellable, &error);
  g_assert_null (report);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* a cancelled restore leaves the live data as it was */
  {
    g_autofree char *copy = g_build_filename (f->tmp, "before.tar.zst", NULL);
    g_autofree char *snapshot = g_build_filename (f->tmp, "snapshot", NULL);
    g_autofree char *why = NULL;

    g_assert_true (osi_archive_create (f->data, copy, OSI_COMPRESSION_ZSTD, NULL, NULL, &error));
    g_assert_cmpint (g_mkdir (snapshot, 0755), ==, 0);
    g_assert_true (osi_archive_extract (copy, snapshot, NULL, NULL, NULL, &error));
    g_assert_no_error (error);

    g_assert_false (osi_swap_restore_archive (f->data, archive, NULL, NULL, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    if (!osi_test_trees_equal (f->data, snapshot, &why))
      g_error ("a cancelled restore changed the data: %s", why);
    dir = g_dir_open (f->tmp, 0, NULL);
    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_prefix (name, ".data.osi-staging."));
    g_dir_close (dir);
  }
}

/* ------------------------------------------------------------------------ */
/* Metadata limits: what reading costs grows with the entries and their     */
/* names, not only with the files' bytes (issue 11)                          */

static JsonObject *
report_json (OsiVerifyReport *report,
             gsize           *out_length)
{
  g_autoptr(JsonNode) node = osi_verify_report_to_json (report);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, out_length);
  g_test_message ("JSON report: %" G_GSIZE_FORMAT " bytes", *out_length);
  return json_object_ref (json_node_get_object (node));
}

/* What the report may hold whatever the archive: every list capped, each
 * text cut. Room for a finding's message beside its path and detail. */
static void
assert_report_bounded (OsiVerifyReport *report)
{
  GPtrArray *findings = osi_verify_report_get_findings (report);
  g_autoptr(JsonObject) json = NULL;
  gsize length;

  g_assert_cmpuint (findings->len, <=, OSI_VERIFY_REPORT_MAX_FINDINGS + OSI_N_FINDINGS);
  g_assert_cmpuint (osi_verify_report_get_n_listed (report), <=,
                    MAX (OSI_VERIFY_REPORT_MAX_LISTED, osi_verify_report_get_entries (report)->len));
  for (guint i = 0; i < findings->len; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);

      g_assert_cmpuint (finding->path != NULL ? strlen (finding->path) : 0, <=, OSI_VERIFY_REPORT_MAX_TEXT);
      g_assert_cmpuint (strlen (finding->message), <=, OSI_VERIFY_REPORT_MAX_TEXT + 512);
    }

  json = report_json (report, &length);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json, "findings")), ==, findings->len);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json, "files")), ==,
                    osi_verify_report_get_n_listed (report));
  g_assert_cmpint (json_object_get_int_member (json, "findings_omitted"), ==,
                   (gint64)osi_verify_report_get_omitted (report, OSI_N_FINDINGS));
  g_assert_cmpint (json_object_get_int_member (json, "files_omitted"), ==,
                   (gint64)(osi_verify_report_get_entries (report)->len - osi_verify_report_get_n_listed (report)));
}

static void
log_findings (OsiVerifyReport *report)
{
  GPtrArray *findings = osi_verify_report_get_findings (report);

  for (guint i = 0; i < findings->len && i < 5; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);
      g_test_message ("finding %s: %.200s", osi_finding_code_to_string (finding->code), finding->message);
    }
  g_test_message ("%u findings kept, %" G_GUINT64_FORMAT " more counted, %u entries read",
                  findings->len, osi_verify_report_get_omitted (report, OSI_N_FINDINGS),
                  osi_verify_report_get_entries (report)->len);
}

static void
tmp_setup (Fixture       *f,
           gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
}

/* The names add up past the limit: reading stops there, like a data
 * bomb's, and the report lists only the start of what was read. */
static void
test_metadata_path_bytes (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "names.tar.zst", NULL);
  OsiArchiveLimits limits;
  GPtrArray *findings;

  osi_test_write_name_bomb (archive, ARCHIVE_FILTER_ZSTD, 2000, 1000, OSI_TEST_NAMES_UNIQUE, FALSE);
  osi_archive_limits_init (&limits);
  limits.max_path_bytes = 1500 * 1000 + 500;

  report = osi_archive_verify (archive, &limits, NULL, &error);
  g_assert_no_error (error);
  log_findings (report);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_NOT_RESTORABLE);
  findings = osi_verify_report_get_findings (report);
  g_assert_cmpuint (findings->len, ==, 1);
  g_assert_cmpint (((OsiFinding *)g_ptr_array_index (findings, 0))->code, ==, OSI_FINDING_PATHS_TOO_LARGE);
  g_assert_cmpstr (osi_finding_code_to_string (OSI_FINDING_PATHS_TOO_LARGE), ==, "paths_too_large");
  /* the entry that went past the limit is not read */
  g_assert_cmpuint (osi_verify_report_get_entries (report)->len, ==, 1500);
  g_assert_cmpuint (osi_verify_report_get_n_listed (report), ==, OSI_VERIFY_REPORT_MAX_LISTED);
  assert_report_bounded (report);
}

/* Every entry counts against the limits, refused ones too. */
static void
test_metadata_refused_entries_count (Fixture       *f,
                                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "same.tar.zst", NULL);
  OsiArchiveLimits limits;

  osi_test_write_name_bomb (archive, ARCHIVE_FILTER_ZSTD, 2000, 1000, OSI_TEST_NAMES_SAME, FALSE);
  osi_archive_limits_init (&limits);
  limits.max_path_bytes = 1200 * 1000;
  report = osi_archive_verify (archive, &limits, NULL, &error);
  g_assert_no_error (error);
  log_findings (report);
  g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_PATHS_TOO_LARGE));
  g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_DUPLICATE_PATH));
  g_assert_cmpuint (osi_verify_report_get_entries (report)->len, ==, 1);
  assert_report_bounded (report);

  g_clear_object (&report);
  osi_archive_limits_init (&limits);
  limits.max_entries = 1500;
  report = osi_archive_verify (archive, &limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_TOO_MANY_ENTRIES));
  g_assert_false (osi_verify_report_has_finding (report, OSI_FINDING_PATHS_TOO_LARGE));
  assert_report_bounded (report);
}

/* Thousands of findings: the first ones kept, the rest counted by code,
 * and a finding of a new kind kept past the cap. */
static void
test_metadata_findings_capped (Fixture       *f,
                               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autoptr(JsonObject) json = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "duplicates.tar.zst", NULL);
  const guint n = 3000;
  GPtrArray *findings;
  JsonObject *by_code;
  gsize length;
  guint duplicates = 0;
  gboolean symlink_kept = FALSE;

  osi_test_write_name_bomb (archive, ARCHIVE_FILTER_ZSTD, n, 300, OSI_TEST_NAMES_SAME, TRUE);
  report = osi_archive_verify (archive, NULL, NULL, &error);
  g_assert_no_error (error);
  log_findings (report);

  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_NOT_RESTORABLE);
  findings = osi_verify_report_get_findings (report);
  for (guint i = 0; i < findings->len; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);

      duplicates += finding->code == OSI_FINDING_DUPLICATE_PATH;
      symlink_kept |= finding->code == OSI_FINDING_SYMLINK;
    }
  /* n - 1 duplicates: the first fill the report, the others are counted */
  g_assert_cmpuint (duplicates, ==, OSI_VERIFY_REPORT_MAX_FINDINGS);
  g_assert_cmpuint (osi_verify_report_get_omitted (report, OSI_FINDING_DUPLICATE_PATH), ==,
                    n - 1 - OSI_VERIFY_REPORT_MAX_FINDINGS);
  g_assert_cmpuint (osi_verify_report_get_omitted (report, OSI_N_FINDINGS), ==, n - 1 - OSI_VERIFY_REPORT_MAX_FINDINGS);
  /* the first of its kind, after the cap: kept */
  g_assert_true (symlink_kept);
  g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_MANIFEST_MISSING));
  g_assert_cmpuint (findings->len, ==, OSI_VERIFY_REPORT_MAX_FINDINGS + 3);
  assert_report_bounded (report);

  json = report_json (report, &length);
  by_code = json_object_get_object_member (json, "findings_omitted_by_code");
  g_assert_nonnull (by_code);
  g_assert_cmpuint (json_object_get_size (by_code), ==, 1);
  g_assert_cmpint (json_object_get_int_member (by_code, "duplicate_path"), ==,
                   n - 1 - OSI_VERIFY_REPORT_MAX_FINDINGS);
  g_assert_cmpstr (json_object_get_string_member (json, "verdict"), ==, "not_restorable");
}

/* A name or a link target of 64 KiB: the finding keeps its start. */
static void
test_metadata_long_texts (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "long.tar", NULL);
  g_autofree char *tail = g_strnfill (64 * 1024, 'e');
  /* é, two bytes, so that a cut may fall inside a character */
  g_autofree char *long_name = g_strconcat ("data/é", tail, NULL);
  g_autofree char *target = g_strconcat ("/é", tail, NULL);
  g_autofree char *latin1 = g_strconcat ("data/caf\xe9", tail, NULL);
  struct archive *a = archive_write_new ();
  struct archive_entry *entry = archive_entry_new ();
  /* The pax writer converts names from the locale's charset to UTF-8. */
  locale_t utf8 = newlocale (LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  locale_t previous = uselocale (utf8);
  GPtrArray *findings;
  guint seen = 0;

  g_assert_cmpint (archive_write_set_format_pax_restricted (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open_filename (a, archive), ==, ARCHIVE_OK);
  archive_entry_copy_pathname (entry, long_name);
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, 0);
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  archive_entry_clear (entry);
  archive_entry_copy_pathname (entry, "data/link");
  archive_entry_set_filetype (entry, AE_IFLNK);
  archive_entry_set_perm (entry, 0777);
  archive_entry_copy_symlink (entry, target);
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  archive_entry_clear (entry);
  archive_entry_copy_pathname (entry, latin1);
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, 0);
  /* a warning: the name is written as the bytes it is */
  g_assert_cmpint (archive_write_header (a, entry), >=, ARCHIVE_WARN);
  archive_entry_free (entry);
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
  uselocale (previous);
  freelocale (utf8);

  report = osi_archive_verify (archive, NULL, NULL, &error);
  g_assert_no_error (error);
  log_findings (report);
  findings = osi_verify_report_get_findings (report);
  for (guint i = 0; i < findings->len; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);

      g_assert_true (g_utf8_validate (finding->message, -1, NULL));
      g_assert_true (finding->path == NULL || g_utf8_validate (finding->path, -1, NULL));
      if (finding->code == OSI_FINDING_UNSAFE_PATH)
        {
          /* "path too long", naming its start */
          g_assert_true (g_str_has_prefix (finding->path, "data/é"));
          g_assert_true (g_str_has_suffix (finding->path, "…"));
          seen |= 1;
        }
      else if (finding->code == OSI_FINDING_SYMLINK)
        {
          g_assert_nonnull (strstr (finding->message, "/éeee"));
          g_assert_nonnull (strstr (finding->message, "…"));
          seen |= 2;
        }
      else if (finding->code == OSI_FINDING_NAME_NOT_UTF8)
        {
          g_assert_true (g_str_has_prefix (finding->path, "data/caf\\351"));
          g_assert_true (g_str_has_suffix (finding->path, "…"));
          seen |= 4;
        }
    }
  g_assert_cmpuint (seen, ==, 7);
  assert_report_bounded (report);
}

/* The 392 KB archive of the issue: 100,000 empty files with 3.8 KB names
 * (512 MB of headers), checked with the default limits. Reading stops at
 * a limit long before the end, and the report stays small. */
static void
amplification (Fixture *f,
               int      filter,
               guint    n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, filter == ARCHIVE_FILTER_GZIP ? "bomb.tar.gz" : "bomb.tar.zst",
                                               NULL);
  OsiArchiveLimits limits;
  struct stat st;
  gint64 start;

  osi_archive_limits_init (&limits);
  start = g_get_monotonic_time ();
  osi_test_write_name_bomb (archive, filter, n, 3800, OSI_TEST_NAMES_UNIQUE, FALSE);
  g_assert_cmpint (stat (archive, &st), ==, 0);
  g_test_message ("%u names of 3800 bytes in %" G_GINT64_FORMAT " bytes, written in %.2f s", n, (gint64)st.st_size,
                  (g_get_monotonic_time () - start) / 1e6);

  start = g_get_monotonic_time ();
  report = osi_archive_verify (archive, NULL, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("verified in %.2f s", (g_get_monotonic_time () - start) / 1e6);
  log_findings (report);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_NOT_RESTORABLE);
  /* zstd packs these headers past the ratio; gzip, only three hundred to
   * one, lets the names reach their own limit */
  if (filter == ARCHIVE_FILTER_GZIP)
    g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_PATHS_TOO_LARGE));
  else
    g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_RATIO_EXCEEDED) ||
                   osi_verify_report_has_finding (report, OSI_FINDING_PATHS_TOO_LARGE));
  /* what the table of paths and the report hold: within the limit */
  g_assert_cmpuint ((guint64)osi_verify_report_get_entries (report)->len * 3800, <=, limits.max_path_bytes);
  g_assert_cmpuint (osi_verify_report_get_entries (report)->len, <, n);
  assert_report_bounded (report);
}

static void
test_metadata_amplification_zstd (Fixture       *f,
                                  gconstpointer  user_data)
{
  amplification (f, ARCHIVE_FILTER_ZSTD, 100000);
}

/* Past 64 MiB of names, the rest is never read: 20,000 entries (76 MB of
 * names) are enough. */
static void
test_metadata_amplification_gzip (Fixture       *f,
                                  gconstpointer  user_data)
{
  amplification (f, ARCHIVE_FILTER_GZIP, 20000);
}

/* The ratio judges the decompressed stream, headers included: a real
 * backup of many empty files stays well within it. */
static void
test_metadata_many_empty_files (Fixture       *f,
                                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autofree char *data = g_build_filename (f->tmp, "many", NULL);
  g_autofree char *archive = g_build_filename (f->tmp, "many.tar.zst", NULL);
  g_autofree char *rag_dir = g_build_filename (data, "rag", NULL);
  g_autofree char *rag = g_build_filename (rag_dir, "search.json", NULL);
  OsiArchiveLimits limits;

  g_assert_cmpint (g_mkdir_with_parents (rag_dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (rag, osi_test_valid_rag (), -1, NULL));
  for (guint d = 0; d < 20; d++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/data/section-%02u", data, d);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      for (guint i = 0; i < 200; i++)
        {
          g_autofree char *file = g_strdup_printf ("%s/document-%04u.json", dir, i);
          g_assert_true (g_file_set_contents (file, "", 0, NULL));
        }
    }
  g_assert_true (osi_archive_create (data, archive, OSI_COMPRESSION_ZSTD, NULL, NULL, &error));
  g_assert_no_error (error);

  /* judged from the first byte rather than past 32 MiB */
  osi_archive_limits_init (&limits);
  limits.ratio_grace_bytes = 0;
  report = osi_archive_verify (archive, &limits, NULL, &error);
  g_assert_no_error (error);
  assert_restorable (report);
  g_assert_cmpuint (osi_verify_report_get_entries (report)->len, ==, 1 + 1 + 1 + 20 + 20 * 200);
}

/* ------------------------------------------------------------------------ */
/* The pipe: a zstd archive decompressed in a thread of its own and its     */
/* knowledge base validated in another reads exactly as through             */
/* libarchive's own zstd filter, damaged or not (issue 14)                  */

/* Large enough that the stream runs through many of the pipe's 1 MiB
 * chunks and the knowledge base through several. */
#define PIPE_DATA_BYTES (24 * 1024 * 1024)

static void
pipe_setup (Fixture       *f,
            gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, PIPE_DATA_BYTES, 11);
}

static OsiVerifyReport *
verify_through (const char *archive,
                gboolean    pipe)
{
  g_autoptr(GError) error = NULL;
  OsiVerifyReport *report;

  _osi_archive_pipe_set_enabled (pipe);
  report = osi_archive_verify (archive, NULL, NULL, &error);
  _osi_archive_pipe_set_enabled (TRUE);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  return report;
}

/* Verifies archive both ways; returns the pipe's report. */
static OsiVerifyReport *
verify_both_ways (const char *archive)
{
  g_autoptr(OsiVerifyReport) reference = verify_through (archive, FALSE);
  OsiVerifyReport *piped = verify_through (archive, TRUE);

  osi_test_assert_same_reports (piped, reference);
  return piped;
}

static void
write_bytes (const char   *path,
             const guint8 *data,
             gsize         len)
{
  g_autoptr(GError) error = NULL;

  /* Replaced, not written over: a shorter file is not cut otherwise. */
  g_assert_true (g_file_set_contents_full (path, (const char *)data, (gssize)len,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error));
  g_assert_no_error (error);
  g_assert_cmpint (osi_test_file_size (path), ==, (gint64)len);
}

static void
test_pipe_damaged (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "backup.tar.zst", NULL);
  g_autofree char *damaged = g_build_filename (f->tmp, "damaged.tar.zst", NULL);
  g_autofree guint8 *contents = NULL;
  gsize size;

  osi_test_make_archive (f->data, archive, OSI_COMPRESSION_ZSTD, NULL);
  g_assert_true (g_file_get_contents (archive, (char **)&contents, &size, &error));
  g_assert_no_error (error);
  /* The data compresses about twofold: several chunks of output. */
  g_assert_cmpuint (size, >, 4 * 1024 * 1024);

  {
    g_autoptr(OsiVerifyReport) report = verify_both_ways (archive);

    assert_restorable (report);
    g_assert_cmpstr (osi_verify_report_get_format (report), ==, "tar.zst");
    g_assert_cmpint (osi_verify_report_get_rag_entries (report), ==, osi_test_count_rag_entries (f->data));
  }

  /* Cut anywhere: in the first frame's header, in the middle of a block,
   * just before the end. */
  {
    const gsize cuts[] = { 3, 13, 4096, size / 7, size / 3 + 77, size / 2, 2 * size / 3, size - 65536, size - 100,
                           size - 1 };

    for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
      {
        g_autoptr(OsiVerifyReport) report = NULL;

        g_test_message ("cut at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, cuts[i], size);
        write_bytes (damaged, contents, cuts[i]);
        report = verify_both_ways (damaged);
        g_assert_false (osi_verify_report_is_restorable (report));
        if (cuts[i] > 4096)
          g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_TRUNCATED));
      }
  }

  /* A byte changed anywhere past the first frame's header: zstd finds it,
   * through its block checks or the frame's checksum. */
  {
    const gsize flips[] = { 100, 5000, size / 5, size / 3, size / 2 + 4321, 3 * size / 4, size - 40, size - 2 };

    for (guint i = 0; i < G_N_ELEMENTS (flips); i++)
      {
        g_autoptr(GByteArray) copy = g_byte_array_new ();
        g_autoptr(OsiVerifyReport) report = NULL;

        g_test_message ("byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " changed", flips[i], size);
        g_byte_array_append (copy, contents, (guint)size);
        copy->data[flips[i]] ^= 0x5a;
        write_bytes (damaged, copy->data, copy->len);
        report = verify_both_ways (damaged);
        g_assert_false (osi_verify_report_is_restorable (report));
      }
  }

  /* Restoring reads the same way: a cut archive is refused with the same
   * findings. */
  {
    g_autoptr(OsiVerifyReport) piped = NULL;
    g_autoptr(OsiVerifyReport) reference = NULL;
    g_autofree char *staging = g_build_filename (f->tmp, "staging", NULL);
    g_autofree char *staging_ref = g_build_filename (f->tmp, "staging-reference", NULL);

    write_bytes (damaged, contents, size / 2);
    g_assert_cmpint (g_mkdir (staging, 0700), ==, 0);
    g_assert_cmpint (g_mkdir (staging_ref, 0700), ==, 0);
    _osi_archive_pipe_set_enabled (FALSE);
    g_assert_false (osi_archive_extract (damaged, staging_ref, NULL, &reference, NULL, &error));
    _osi_archive_pipe_set_enabled (TRUE);
    g_clear_error (&error);
    g_assert_false (osi_archive_extract (damaged, staging, NULL, &piped, NULL, &error));
    g_clear_error (&error);
    g_assert_nonnull (piped);
    g_assert_nonnull (reference);
    osi_test_assert_same_reports (piped, reference);
    g_assert_true (osi_verify_report_has_finding (piped, OSI_FINDING_TRUNCATED));
  }
}

/* A knowledge base of many chunks whose error lies near its end: the
 * validator's thread reads all of it, in order. */
static void
test_pipe_rag_error (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "rag.tar.zst", NULL);
  g_autofree char *rag_path = g_build_filename (f->data, "rag", "search.json", NULL);
  g_autofree char *rag = NULL;
  g_autofree char *other = g_malloc (3 * 1024 * 1024);
  gsize rag_len;
  const GPtrArray *findings;

  g_assert_true (g_file_get_contents (rag_path, &rag, &rag_len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rag_len, >, 4 * 1024 * 1024);
  /* no JSON value in the last entry, a few hundred bytes from the end */
  {
    char *value = g_strrstr (rag, "\"OpenQuestion\": false");

    g_assert_nonnull (value);
    g_assert_cmpuint (rag_len - (gsize)(value - rag), <, 4096);
    value[strlen ("\"OpenQuestion\": ")] = 'x';
  }
  for (gsize i = 0; i < 3 * 1024 * 1024; i++)
    other[i] = (char)g_test_rand_int_range (0, 256);

  {
    const OsiTestEntry entries[] = {
      { "data/noise.bin", AE_IFREG, other, 3 * 1024 * 1024, NULL, FALSE },
      { "rag/search.json", AE_IFREG, rag, (gssize)rag_len, NULL, FALSE },
    };

    osi_test_write_archive (archive, ARCHIVE_FILTER_ZSTD, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, entries,
                            G_N_ELEMENTS (entries), TRUE);
  }

  report = verify_both_ways (archive);
  findings = osi_verify_report_get_findings (report);
  g_assert_cmpuint (findings->len, ==, 1);
  g_assert_cmpint (((const OsiFinding *)g_ptr_array_index (findings, 0))->code, ==,
                   OSI_FINDING_RAG_INVALID_JSON);
}

typedef struct
{
  GCancellable *cancellable;
  guint64       seen;
} CancelState;

static void
cancel_after_some (const char   *path,
                   const guint8 *data,
                   gsize         len,
                   gpointer      user_data)
{
  CancelState *state = user_data;

  state->seen += len;
  if (state->seen > 3 * 1024 * 1024)
    g_cancellable_cancel (state->cancellable);
}

static guint
count_threads (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Cancelled while the decompressing thread is ahead and the validator
 * busy: the scan stops, and leaves no thread behind. */
static void
test_pipe_cancel (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *archive = g_build_filename (f->tmp, "backup.tar.zst", NULL);
  CancelState state = { cancellable, 0 };
  ScanRequest request = { .fd = -1, .on_data = cancel_after_some, .on_data_user = &state };
  OsiVerifyReport *report;
  guint threads;

  osi_test_make_archive (f->data, archive, OSI_COMPRESSION_ZSTD, NULL);
  request.name = archive;

  threads = count_threads ();
  report = _osi_archive_scan_run (&request, NULL, NULL, cancellable, &error);
  g_assert_null (report);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (state.seen, <, PIPE_DATA_BYTES);
  g_assert_cmpuint (count_threads (), <=, threads);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/archive/round-trip/zstd", Fixture, NULL, fixture_setup, test_round_trip_zstd, fixture_teardown);
  g_test_add ("/archive/round-trip/gzip", Fixture, NULL, fixture_setup, test_round_trip_gzip, fixture_teardown);
  g_test_add ("/archive/foreign", Fixture, NULL, fixture_setup, test_foreign_archive, fixture_teardown);
  g_test_add ("/archive/sparse", Fixture, NULL, fixture_setup, test_sparse_round_trip, fixture_teardown);
  g_test_add ("/archive/bare-json", Fixture, NULL, fixture_setup, test_bare_json, fixture_teardown);
  g_test_add ("/archive/extract/modes", Fixture, NULL, fixture_setup, test_extract_modes, fixture_teardown);
  g_test_add ("/archive/extract/bare-json-mode", Fixture, NULL, fixture_setup, test_extract_bare_json_mode, fixture_teardown);
  g_test_add ("/archive/create/records-modes", Fixture, NULL, fixture_setup, test_create_records_modes, fixture_teardown);
  g_test_add ("/archive/create/never-replaces", Fixture, NULL, fixture_setup, test_create_never_replaces, fixture_teardown);
  g_test_add ("/archive/create/missing-dir", Fixture, NULL, fixture_setup, test_create_missing_dir, fixture_teardown);
  g_test_add_func ("/archive/default-name", test_default_name);
  g_test_add ("/archive/async", Fixture, NULL, fixture_setup, test_async, fixture_teardown);
  g_test_add ("/archive/cancel", Fixture, NULL, fixture_setup, test_cancel, fixture_teardown);
  g_test_add ("/archive/metadata/path-bytes", Fixture, NULL, tmp_setup, test_metadata_path_bytes, fixture_teardown);
  g_test_add ("/archive/metadata/refused-entries-count", Fixture, NULL, tmp_setup,
              test_metadata_refused_entries_count, fixture_teardown);
  g_test_add ("/archive/metadata/findings-capped", Fixture, NULL, tmp_setup, test_metadata_findings_capped,
              fixture_teardown);
  g_test_add ("/archive/metadata/long-texts", Fixture, NULL, tmp_setup, test_metadata_long_texts, fixture_teardown);
  g_test_add ("/archive/metadata/amplification-zstd", Fixture, NULL, tmp_setup, test_metadata_amplification_zstd,
              fixture_teardown);
  g_test_add ("/archive/metadata/amplification-gzip", Fixture, NULL, tmp_setup, test_metadata_amplification_gzip,
              fixture_teardown);
  g_test_add ("/archive/metadata/many-empty-files", Fixture, NULL, tmp_setup, test_metadata_many_empty_files,
              fixture_teardown);

  g_test_add ("/archive/pipe/damaged", Fixture, NULL, pipe_setup, test_pipe_damaged, fixture_teardown);
  g_test_add ("/archive/pipe/rag-error", Fixture, NULL, pipe_setup, test_pipe_rag_error, fixture_teardown);
  g_test_add ("/archive/pipe/cancel", Fixture, NULL, pipe_setup, test_pipe_cancel, fixture_teardown);

  return g_test_run ();
}
