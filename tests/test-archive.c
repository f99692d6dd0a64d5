/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-error.h"
#include "osi-sha256.h"
#include "osi-swap.h"
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
  GPtrArray *findings = osi_verify_report_get_findings (report);

  for (guint i = 0; i < findings->len; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);
      g_test_message ("finding %s: %s (%s)", osi_finding_code_to_string (finding->code),
                      finding->message, finding->path ? finding->path : "-");
    }
  g_assert_cmpuint (findings->len, ==, 0);
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

  g_assert_true (osi_archive_create (f->data, archive, compression, 0, NULL, NULL, &sha, NULL, &error));
  g_assert_no_error (error);
  assert_digest_of (archive, sha);
  g_assert_cmpint (stat (archive, &st), ==, 0);
  /* backups hold secrets */
  g_assert_cmpint (st.st_mode & 0077, ==, 0);

  report = osi_archive_verify (archive, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_restorable (report);
  g_assert_cmpstr (osi_verify_report_get_format (report), ==, format);
  g_assert_cmpint (osi_verify_report_get_rag_entries (report), >, 0);
  g_assert_nonnull (osi_verify_report_get_manifest (report));
  g_assert_cmpint (json_object_get_int_member (osi_verify_report_get_manifest (report), "rag_entries"),
                   ==, osi_verify_report_get_rag_entries (report));

  g_assert_cmpint (g_mkdir (staging, 0755), ==, 0);
  g_assert_true (osi_archive_extract (archive, staging, NULL, &extract_report, NULL, NULL, NULL, &error));
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

/* An archive written by another tool that follows DESIGN §3: plain tar
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
      report = osi_archive_verify (archive, NULL, NULL, NULL, NULL, &error);
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

  report = osi_archive_verify (archive, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_restorable (report);

  g_assert_cmpint (g_mkdir (staging, 0755), ==, 0);
  g_assert_true (osi_archive_extract (archive, staging, NULL, NULL, NULL, NULL, NULL, &error));
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
  report = osi_archive_verify (path, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_UNPROVEN);
  g_assert_true (osi_verify_report_has_finding (report, OSI_FINDING_MANIFEST_MISSING));
  g_assert_cmpint (osi_verify_report_get_rag_entries (report), ==, 1);
  g_assert_cmpstr (osi_verify_report_get_format (report), ==, "json");
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
  g_assert_false (osi_archive_create (f->data, archive, OSI_COMPRESSION_ZSTD, 0, NULL, NULL, NULL, NULL, &error));
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

  g_assert_false (osi_archive_create (missing, archive, OSI_COMPRESSION_ZSTD, 0, NULL, NULL, NULL, NULL, &error));
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

  osi_archive_create_async (f->data, archive, OSI_COMPRESSION_ZSTD, 0, on_progress, &state, NULL,
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
  g_assert_false (osi_archive_create (f->data, archive, OSI_COMPRESSION_ZSTD, 0, NULL, NULL, NULL,
                                      cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (archive, G_FILE_TEST_EXISTS));
  dir = g_dir_open (f->tmp, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (name, ".part"));
  g_dir_close (dir);
  g_clear_error (&error);

  g_assert_true (osi_archive_create (f->data, archive, OSI_COMPRESSION_ZSTD, 0, NULL, NULL, NULL, NULL, &error));
  report = osi_archive_verify (archive, NULL, NULL, NULL, cancellable, &error);
  g_assert_null (report);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* a cancelled restore leaves the live data as it was */
  {
    g_autofree char *copy = g_build_filename (f->tmp, "before.tar.zst", NULL);
    g_autofree char *snapshot = g_build_filename (f->tmp, "snapshot", NULL);
    g_autofree char *why = NULL;

    g_assert_true (osi_archive_create (f->data, copy, OSI_COMPRESSION_ZSTD, 0, NULL, NULL, NULL, NULL, &error));
    g_assert_cmpint (g_mkdir (snapshot, 0755), ==, 0);
    g_assert_true (osi_archive_extract (copy, snapshot, NULL, NULL, NULL, NULL, NULL, &error));
    g_assert_no_error (error);

    g_assert_false (osi_swap_restore_archive (f->data, archive, NULL, NULL, NULL, NULL, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    if (!osi_test_trees_equal (f->data, snapshot, &why))
      g_error ("a cancelled restore changed the data: %s", why);
    dir = g_dir_open (f->tmp, 0, NULL);
    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_prefix (name, ".data.osi-staging."));
    g_dir_close (dir);
  }
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
  g_test_add ("/archive/create/never-replaces", Fixture, NULL, fixture_setup, test_create_never_replaces, fixture_teardown);
  g_test_add ("/archive/create/missing-dir", Fixture, NULL, fixture_setup, test_create_missing_dir, fixture_teardown);
  g_test_add_func ("/archive/default-name", test_default_name);
  g_test_add ("/archive/async", Fixture, NULL, fixture_setup, test_async, fixture_teardown);
  g_test_add ("/archive/cancel", Fixture, NULL, fixture_setup, test_cancel, fixture_teardown);

  return g_test_run ();
}
