/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "osi-s3.h"
#include "osi-test-rgw.h"
#include "osi-test-support.h"

/* The S3 layer's calls (docs/api.md §7) against a real Ceph RADOS
 * Gateway from Debian 12 (tests/osi-test-rgw.c), one for the whole
 * suite: objects, multipart uploads, listing pages, refusals, the
 * gateway gone and back; s3cmd, a reference client, reads back what the
 * layer wrote. */

#define MiB (1024 * 1024)

static OsiTestRgw *rgw;
static char *tmp_dir;

static OsiS3 *
new_s3 (const char *url,
        const char *secret_key)
{
  g_autoptr(GError) error = NULL;
  OsiS3 *s3 = osi_s3_new (url, osi_test_rgw_get_access_key (rgw), secret_key, NULL,
                          osi_test_rgw_get_credentials (rgw), &error);

  g_assert_no_error (error);
  return s3;
}

/* The layer as the server makes it: from the credentials file. */
static OsiS3 *
open_s3 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *access_key = NULL;
  g_autofree char *secret_key = NULL;

  g_assert_true (osi_s3_read_credentials (osi_test_rgw_get_credentials (rgw), &access_key, &secret_key, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (access_key, ==, osi_test_rgw_get_access_key (rgw));
  return new_s3 (osi_test_rgw_get_url (rgw), secret_key);
}

/* One cluster for every case, started by the first: it takes seconds.
 * The time it took goes in the log; nothing asserts it. */
static gboolean
have_gateway (void)
{
  return osi_test_rgw_start_once (&rgw, tmp_dir, 0);
}

static int
open_file (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  return fd;
}

/* The object's bytes, downloaded by the layer into a new file. */
static char *
download (OsiS3      *s3,
          const char *key,
          const char *name)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmp_dir, name, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gint64 size = -1;

  g_assert_cmpint (fd, >=, 0);
  g_assert_true (osi_s3_get_object (s3, key, fd, &size, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (close (fd), ==, 0);
  g_assert_cmpint (size, ==, osi_test_file_size (path));
  return path;
}

/* A file of size random bytes (seed) named file in the test's folder,
 * returned, and the key of backup of host on the gateway. */
static char *
random_source (OsiS3      *s3,
               const char *file,
               gsize       size,
               guint       seed,
               const char *host,
               const char *backup,
               char      **key)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmp_dir, file, NULL);

  osi_test_write_random_file (path, size, seed);
  *key = osi_s3_backup_key (s3, host, backup, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_put_head (void)
{
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *key = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *back = NULL;
  g_auto(OsiS3Head) head = { 0 };
  int fd;

  if (!have_gateway ())
    return;
  s3 = open_s3 ();
  path = random_source (s3, "small", 100000, 1, "hôte local", "a b+c%=&é.tar.zst", &key);
  sha256 = osi_test_file_sha256 (path);

  fd = open_file (path);
  etag = osi_s3_put_object (s3, key, fd, 0, osi_test_file_size (path), sha256, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (etag);
  close (fd);

  g_assert_true (osi_s3_head_object (s3, key, &head, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (head.size, ==, osi_test_file_size (path));
  g_assert_cmpstr (head.sha256, ==, sha256);
  g_assert_cmpstr (head.etag, ==, etag);

  back = download (s3, key, "small.back");
  osi_test_assert_files_equal (path, back);

  g_assert_true (osi_s3_delete_object (s3, key, NULL, &error));
  g_assert_no_error (error);
  osi_s3_head_clear (&head);
  g_assert_false (osi_s3_head_object (s3, key, &head, NULL, &error));
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND);
}

static void
test_multipart (void)
{
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_s3_part_free);
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GPtrArray) uploads = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *key = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *upload_id = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *back = NULL;
  g_auto(OsiS3Head) head = { 0 };
  gint64 size;
  guint n_parts;
  int fd;

  if (!have_gateway ())
    return;
  s3 = open_s3 ();
  /* 20 MiB and a piece: four parts of 5 MiB and a short last one. */
  path = random_source (s3, "large", 20 * MiB + 100000, 2, "multi", "large.tar.zst", &key);
  size = osi_test_file_size (path);
  n_parts = (size + 5 * MiB - 1) / (5 * MiB);
  g_assert_cmpuint (n_parts, ==, 5);
  sha256 = osi_test_file_sha256 (path);
  prefix = osi_s3_host_prefix (s3, "multi", &error);
  g_assert_no_error (error);

  upload_id = osi_s3_create_multipart_upload (s3, key, sha256, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (upload_id);
  fd = open_file (path);
  for (guint n = 1; n <= n_parts; n++)
    {
      goffset offset = (goffset)(n - 1) * 5 * MiB;
      OsiS3Part *part = g_new0 (OsiS3Part, 1);

      part->number = n;
      part->size = MIN (5 * MiB, size - offset);
      part->etag = osi_s3_upload_part (s3, key, upload_id, n, fd, offset, part->size, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (parts, part);
    }
  close (fd);

  listed = osi_s3_list_parts (s3, key, upload_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, n_parts);
  for (guint i = 0; i < n_parts; i++)
    {
      OsiS3Part *got = g_ptr_array_index (listed, i);
      OsiS3Part *sent = g_ptr_array_index (parts, i);

      g_assert_cmpuint (got->number, ==, sent->number);
      g_assert_cmpstr (got->etag, ==, sent->etag);
      g_assert_cmpint (got->size, ==, sent->size);
    }
  uploads = osi_s3_list_multipart_uploads (s3, prefix, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uploads->len, ==, 1);
  g_assert_cmpstr (((OsiS3Upload *)g_ptr_array_index (uploads, 0))->key, ==, key);
  g_assert_cmpstr (((OsiS3Upload *)g_ptr_array_index (uploads, 0))->upload_id, ==, upload_id);

  /* Radosgw 16.2 answers an empty ETag here: the HEAD is the check. */
  etag = osi_s3_complete_multipart_upload (s3, key, upload_id, parts, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (etag);
  g_assert_true (osi_s3_head_object (s3, key, &head, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (head.size, ==, size);
  g_assert_cmpstr (head.sha256, ==, sha256);
  g_clear_pointer (&uploads, g_ptr_array_unref);
  uploads = osi_s3_list_multipart_uploads (s3, prefix, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uploads->len, ==, 0);

  back = download (s3, key, "large.back");
  osi_test_assert_files_equal (path, back);
  g_assert_true (osi_s3_delete_object (s3, key, NULL, &error));
  g_assert_no_error (error);
}

static void
test_abort (void)
{
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uploads = NULL;
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *etag = NULL;
  int fd;

  if (!have_gateway ())
    return;
  s3 = open_s3 ();
  path = random_source (s3, "part", 5 * MiB, 3, "aborted", "left.tar.zst", &key);
  prefix = osi_s3_host_prefix (s3, "aborted", &error);
  g_assert_no_error (error);

  /* Two uploads of the same key, as a server that restarted would find. */
  first = osi_s3_create_multipart_upload (s3, key, NULL, NULL, &error);
  g_assert_no_error (error);
  second = osi_s3_create_multipart_upload (s3, key, NULL, NULL, &error);
  g_assert_no_error (error);
  fd = open_file (path);
  etag = osi_s3_upload_part (s3, key, first, 1, fd, 0, 5 * MiB, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  uploads = osi_s3_list_multipart_uploads (s3, prefix, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uploads->len, ==, 2);

  for (guint i = 0; i < uploads->len; i++)
    {
      OsiS3Upload *upload = g_ptr_array_index (uploads, i);

      g_assert_cmpstr (upload->key, ==, key);
      g_assert_true (osi_s3_abort_multipart_upload (s3, upload->key, upload->upload_id, NULL, &error));
      g_assert_no_error (error);
    }
  g_clear_pointer (&uploads, g_ptr_array_unref);
  uploads = osi_s3_list_multipart_uploads (s3, prefix, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uploads->len, ==, 0);

  /* A part sent to an aborted upload is refused, not stored. */
  g_free (osi_s3_upload_part (s3, key, first, 2, fd, 0, 1000, NULL, NULL, NULL, &error));
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND);
  close (fd);
}

/* More keys than one page of ListObjectsV2 (1000) holds. */
#define N_KEYS 1001

static void
test_list_pages (void)
{
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *path = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *next = NULL;
  guint pages = 0;
  int fd;

  if (!have_gateway ())
    return;
  s3 = open_s3 ();
  path = g_build_filename (tmp_dir, "tiny", NULL);
  g_assert_true (g_file_set_contents (path, "0123456789", -1, NULL));
  prefix = osi_s3_host_prefix (s3, "many", &error);
  g_assert_no_error (error);
  fd = open_file (path);
  for (guint i = 0; i < N_KEYS; i++)
    {
      g_autofree char *key = g_strdup_printf ("%sbackup %04u é+.tar", prefix, i);

      g_free (osi_s3_put_object (s3, key, fd, i % 10, 1, NULL, NULL, &error));
      g_assert_no_error (error);
    }
  close (fd);

  do
    {
      g_autofree char *token = g_steal_pointer (&next);
      g_autoptr(GPtrArray) page = osi_s3_list_objects (s3, prefix, token, &next, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (page->len, >, 0);
      for (guint i = 0; i < page->len; i++)
        {
          OsiS3Object *object = g_ptr_array_index (page, i);

          g_assert_true (g_str_has_prefix (object->key, prefix));
          g_assert_cmpint (object->size, ==, 1);
          g_assert_true (g_hash_table_add (seen, g_strdup (object->key)));
        }
      pages++;
    }
  while (next != NULL);
  g_assert_cmpuint (pages, ==, 2);
  g_assert_cmpuint (g_hash_table_size (seen), ==, N_KEYS);
  /* They stay: deleting them would double the case's time, and the
   * cluster goes with the suite. */
  for (guint i = 0; i < N_KEYS; i++)
    {
      g_autofree char *key = g_strdup_printf ("%sbackup %04u é+.tar", prefix, i);

      g_assert_true (g_hash_table_contains (seen, key));
    }
}

static void
test_wrong_secret (void)
{
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autofree char *next = NULL;
  g_auto(OsiS3Head) head = { 0 };

  if (!have_gateway ())
    return;
  s3 = new_s3 (osi_test_rgw_get_url (rgw), "not-the-secret");
  page = osi_s3_list_objects (s3, "", NULL, &next, NULL, &error);
  g_assert_null (page);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_AUTH);
  g_test_message ("wrong secret: %s", error->message);
  /* The message names the file to fix. */
  g_assert_nonnull (strstr (error->message, osi_test_rgw_get_credentials (rgw)));
  g_clear_error (&error);

  /* A HEAD's answer has no body to say why: still AUTH. */
  g_assert_false (osi_s3_head_object (s3, "any", &head, NULL, &error));
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_AUTH);
}

static void
test_no_bucket (void)
{
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autofree char *url = NULL;
  g_autofree char *next = NULL;
  g_autofree char *id = NULL;

  if (!have_gateway ())
    return;
  url = g_strdup_printf ("%s/no-such-bucket/prefix", osi_test_rgw_get_endpoint (rgw));
  s3 = new_s3 (url, osi_test_rgw_get_secret_key (rgw));
  page = osi_s3_list_objects (s3, "", NULL, &next, NULL, &error);
  g_assert_null (page);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_NO_BUCKET);
  g_test_message ("missing bucket: %s", error->message);
  g_assert_nonnull (strstr (error->message, "no-such-bucket"));
  g_clear_error (&error);

  id = osi_s3_create_multipart_upload (s3, "prefix/host/name", NULL, NULL, &error);
  g_assert_null (id);
  g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_NO_BUCKET);
}

static void
test_gateway_down (void)
{
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;
  g_autofree char *etag = NULL;
  g_auto(OsiS3Head) head = { 0 };
  int fd;

  if (!have_gateway ())
    return;
  s3 = open_s3 ();
  path = random_source (s3, "down", 70000, 4, "down", "while-down.tar.zst", &key);
  fd = open_file (path);

  /* Twice: the OsiS3 keeps its connection open between calls, and
   * neither the closed connection nor the refused new one may be taken
   * for a refusal. */
  osi_test_rgw_stop_gateway (rgw);
  for (guint i = 0; i < 2; i++)
    {
      etag = osi_s3_put_object (s3, key, fd, 0, 70000, NULL, NULL, &error);
      g_assert_null (etag);
      g_assert_error (error, OSI_S3_ERROR, OSI_S3_ERROR_TRANSIENT);
      g_test_message ("gateway down: %s", error->message);
      g_clear_error (&error);
    }

  osi_test_rgw_start_gateway (rgw);
  etag = osi_s3_put_object (s3, key, fd, 0, 70000, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (etag);
  close (fd);
  g_assert_true (osi_s3_head_object (s3, key, &head, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (head.size, ==, 70000);
  g_assert_true (osi_s3_delete_object (s3, key, NULL, &error));
  g_assert_no_error (error);
}

/* s3cmd, a client that is not ours, reads back what the layer wrote. */
static void
test_s3cmd_reads (void)
{
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *key = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *source = NULL;
  g_autofree char *back = NULL;
  int fd;

  if (!have_gateway ())
    return;
  s3 = open_s3 ();
  path = random_source (s3, "reference", 3 * MiB, 5, "hôte", "réf a+b.tar.zst", &key);
  sha256 = osi_test_file_sha256 (path);
  fd = open_file (path);
  etag = osi_s3_put_object (s3, key, fd, 0, 3 * MiB, sha256, NULL, &error);
  g_assert_no_error (error);
  close (fd);

  source = g_strdup_printf ("s3://%s/%s", osi_test_rgw_get_bucket (rgw), key);
  back = g_build_filename (tmp_dir, "reference.s3cmd", NULL);
  g_free (osi_test_rgw_s3cmd (rgw, "get", source, back, NULL));
  osi_test_assert_files_equal (path, back);
  g_assert_true (osi_s3_delete_object (s3, key, NULL, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();
  tmp_dir = osi_test_make_tmpdir ();

  g_test_add_func ("/s3-rgw/put-head", test_put_head);
  g_test_add_func ("/s3-rgw/multipart", test_multipart);
  g_test_add_func ("/s3-rgw/abort", test_abort);
  g_test_add_func ("/s3-rgw/list-pages", test_list_pages);
  g_test_add_func ("/s3-rgw/wrong-secret", test_wrong_secret);
  g_test_add_func ("/s3-rgw/no-bucket", test_no_bucket);
  g_test_add_func ("/s3-rgw/gateway-down", test_gateway_down);
  g_test_add_func ("/s3-rgw/s3cmd-reads", test_s3cmd_reads);

  status = g_test_run ();
  g_clear_pointer (&rgw, osi_test_rgw_free);
  osi_test_remove_tmpdir (tmp_dir);
  g_free (tmp_dir);
  return status;
}
