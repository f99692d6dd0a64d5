/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-client-private.h"
#include "osi-task.h"

/* The download of a backup (docs/api.md §3.3): Range resume from a .part
 * file, the digest checked against Repr-Digest and the list, progress. */

/* Downloads: a ring of N_CHUNKS buffers goes round the main thread
 * (network reads) and, at once, a writer thread and a hashing thread. */
#define CHUNK_SIZE            (2 * 1024 * 1024)
#define N_CHUNKS              4
/* Whole chunks go to the disk directly (O_DIRECT), at offsets, lengths and
 * addresses aligned so for any block size: no copy into the page cache,
 * and little left for the final fsync. The rest (a resumed file's first
 * bytes up to the next boundary, the last chunk's tail) goes through the
 * page cache. */
#define DIRECT_ALIGN          4096

typedef struct
{
  Download *dl;
  guint8   *data;
  gsize     len;
  gboolean  truncate;   /* empty the .part before writing this one */
  GTask    *task;       /* held while the chunk is away from the main thread */
  gint      away;       /* atomic: the writer and the hasher, each until done with it */
} Chunk;

struct _Download
{
  char         *directory;
  char         *part_name;
  char         *part_path;     /* directory/part_name, for messages */
  int           dir_fd;
  int           part_fd;
  int           direct_fd;     /* the .part again, O_DIRECT, or -1: the writer's */
  guint64       write_pos;     /* where the writer writes next */
  guint64       read_pos;      /* main thread: where the chunk being read goes */
  gsize         read_want;     /* main thread: its size (shorter: the end) */
  guint64       offset;        /* bytes of the .part the request asks to skip */
  OsiSha256    *sha;
  Chunk         chunks[N_CHUNKS];
  GQueue        free_chunks;   /* main thread only, as the fields below */
  guint         away;          /* chunks with the writer or the hasher */
  GAsyncQueue  *to_write;
  GAsyncQueue  *to_hash;
  GThread      *writer;
  GThread      *hasher;
  GMainContext *context;
  int           write_errno;   /* atomic: the writer's first failure */
  gboolean      reading;
  gboolean      eof;
  gboolean      write_failed;
  gboolean      truncate;      /* the server starts over: empty the .part first */
  gboolean      retried;
  guint64       done;
  guint64       total;
  gboolean      have_digest;
  guint8        digest[OSI_SHA256_LEN];
  char         *sha256_hex;    /* of the file as written, once finished */
  /* What the last list promised for this backup (docs/api.md §3.2 list members),
   * checked whether or not the server sends Repr-Digest: -1 and NULL when
   * it promised nothing. */
  gint64        listed_size;
  char         *listed_sha256;
  GError       *error;         /* the first failure, returned once reads and writes stopped */
};

static void download_stop_threads (Download *dl);

void
_osi_client_download_free (Download *dl)
{
  if (dl == NULL)
    return;
  download_stop_threads (dl);
  if (dl->part_fd >= 0)
    close (dl->part_fd);
  if (dl->direct_fd >= 0)
    close (dl->direct_fd);
  if (dl->dir_fd >= 0)
    close (dl->dir_fd);
  g_free (dl->directory);
  g_free (dl->part_name);
  g_free (dl->part_path);
  g_free (dl->sha256_hex);
  g_free (dl->listed_sha256);
  g_clear_pointer (&dl->sha, osi_sha256_free);
  for (guint i = 0; i < N_CHUNKS; i++)
    g_aligned_free (dl->chunks[i].data);
  g_queue_clear (&dl->free_chunks);
  g_clear_pointer (&dl->context, g_main_context_unref);
  g_clear_error (&dl->error);
  g_free (dl);
}

/* download --------------------------------------------------------------- */

/* Runs in a worker: the folder, the final name that must not exist yet,
 * and the bytes of an existing .part hashed so that the transfer can go on
 * from them. */
static void
download_prepare_thread (GTask        *subtask,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  Call *call = task_data;
  Download *dl = call->dl;
  struct stat st;
  g_autofree guint8 *buffer = g_malloc (CHUNK_SIZE);
  guint64 hashed = 0;

  dl->dir_fd = open (dl->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dl->dir_fd < 0)
    {
      g_task_return_error (subtask, _osi_client_local_error (errno, dl->directory, _("Cannot open the folder %s"),
                                                             dl->directory));
      return;
    }
  if (fstatat (dl->dir_fd, call->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      g_task_return_new_error (subtask, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL,
                               _("A file named “%s” already exists in %s: move it away or choose another "
                                 "folder."),
                               call->name, dl->directory);
      return;
    }

  /* Read-write so that the bytes hashed are those of the very file that
   * grows; appends only; never through a symbolic link. */
  dl->part_fd = openat (dl->dir_fd, dl->part_name, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (dl->part_fd < 0)
    {
      if (errno != ENOENT)
        {
          g_task_return_error (subtask, _osi_client_local_error (errno, dl->part_path, _("Cannot open %s"),
                                                                 dl->part_path));
          return;
        }
      g_task_return_boolean (subtask, TRUE);
      return;
    }
  if (fstat (dl->part_fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      g_task_return_new_error (subtask, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL,
                               _("%s is not a regular file: move it away, then download again."), dl->part_path);
      return;
    }

  while (hashed < (guint64)st.st_size)
    {
      ssize_t n = pread (dl->part_fd, buffer, CHUNK_SIZE, (off_t)hashed);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_task_return_error (subtask, _osi_client_local_error (errno, dl->part_path, _("Cannot read %s"),
                                                                 dl->part_path));
          return;
        }
      if (n == 0)
        break;
      osi_sha256_update (dl->sha, buffer, (gsize)n);
      hashed += (guint64)n;
      if (g_task_return_error_if_cancelled (subtask))
        return;
    }
  /* Shorter than it said: appends must follow what was hashed. */
  if (hashed < (guint64)st.st_size && ftruncate (dl->part_fd, (off_t)hashed) < 0)
    {
      g_task_return_error (subtask, _osi_client_local_error (errno, dl->part_path, _("Cannot write %s"),
                                                             dl->part_path));
      return;
    }
  dl->offset = hashed;
  g_task_return_boolean (subtask, TRUE);
}

#define WRITEBACK_STEP (16 * 1024 * 1024)

/* Stops the writer and the hasher: what they hold comes back to the main
 * thread, in the order sent. */
static Chunk stop_chunk;

static void on_chunk_back_free (gpointer data);
static gboolean on_chunk_back (gpointer data);

/* The writer or the hasher is done with the chunk: the second to be
 * done sends it back to the main thread. */
static void
chunk_done (Chunk *chunk)
{
  if (g_atomic_int_dec_and_test (&chunk->away))
    osi_context_post (chunk->dl->context, on_chunk_back, chunk, on_chunk_back_free);
}

/* Writes what it can of a whole aligned chunk at dl->write_pos through
 * the O_DIRECT descriptor, in one call; returns the bytes written. What
 * a short write leaves goes through the page cache. EINVAL: not for this
 * file system, which the writer then writes through the page cache. */
static gsize
write_direct (Download *dl,
              Chunk    *chunk)
{
  ssize_t n;

  do
    n = pwrite (dl->direct_fd, chunk->data, chunk->len, (off_t)dl->write_pos);
  while (n < 0 && errno == EINTR);
  if (n >= 0)
    return (gsize)n;
  if (errno == EINVAL)
    {
      g_debug ("O_DIRECT writes refused (%s): through the page cache", g_strerror (errno));
      close (dl->direct_fd);
      dl->direct_fd = -1;
    }
  else
    g_atomic_int_set (&dl->write_errno, errno);
  return 0;
}

/* The writer: appends each chunk to the .part, whole aligned ones
 * directly, others through the page cache, whose writeback it starts
 * every WRITEBACK_STEP bytes so that the final fsync does not wait for
 * the whole file; then hands the chunk to the hasher. After a failure it
 * only passes chunks on. */
static gpointer
download_writer (gpointer data)
{
  Download *dl = data;
  guint64 since_writeback = 0;

  for (;;)
    {
      Chunk *chunk = g_async_queue_pop (dl->to_write);
      gsize written = 0;

      if (chunk == &stop_chunk)
        break;
      if (g_atomic_int_get (&dl->write_errno) != 0)
        {
          chunk_done (chunk);
          continue;
        }
      if (chunk->truncate)
        {
          if (ftruncate (dl->part_fd, 0) < 0)
            g_atomic_int_set (&dl->write_errno, errno);
          dl->write_pos = 0;
        }
      if (dl->direct_fd >= 0 && dl->write_pos % DIRECT_ALIGN == 0 && chunk->len % DIRECT_ALIGN == 0 &&
          g_atomic_int_get (&dl->write_errno) == 0)
        written = write_direct (dl, chunk);
      /* O_APPEND: after whatever the direct writes put before. */
      while (g_atomic_int_get (&dl->write_errno) == 0 && written < chunk->len)
        {
          ssize_t n = write (dl->part_fd, chunk->data + written, chunk->len - written);

          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            g_atomic_int_set (&dl->write_errno, errno);
          else
            {
              written += (gsize)n;
              since_writeback += (gsize)n;
            }
        }
      dl->write_pos += written;
      if (since_writeback >= WRITEBACK_STEP)
        {
          sync_file_range (dl->part_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
          since_writeback = 0;
        }
      chunk_done (chunk);
    }
  return NULL;
}

/* The hasher: the SHA-256 of each chunk, while the writer writes it (a
 * failed write fails the download, whatever was hashed). */
static gpointer
download_hasher (gpointer data)
{
  Download *dl = data;

  for (;;)
    {
      Chunk *chunk = g_async_queue_pop (dl->to_hash);

      if (chunk == &stop_chunk)
        break;
      if (g_atomic_int_get (&dl->write_errno) == 0)
        osi_sha256_update (dl->sha, chunk->data, chunk->len);
      chunk_done (chunk);
    }
  return NULL;
}

static void
download_start_threads (Download *dl)
{
  if (dl->writer != NULL)
    return;
  dl->to_write = g_async_queue_new ();
  dl->to_hash = g_async_queue_new ();
  dl->writer = g_thread_new ("download-write", download_writer, dl);
  dl->hasher = g_thread_new ("download-hash", download_hasher, dl);
}

/* Called once no chunk is away, so both threads are idle and end at once. */
static void
download_stop_threads (Download *dl)
{
  if (dl->writer == NULL)
    return;
  g_async_queue_push (dl->to_write, &stop_chunk);
  g_async_queue_push (dl->to_hash, &stop_chunk);
  g_thread_join (g_steal_pointer (&dl->writer));
  g_thread_join (g_steal_pointer (&dl->hasher));
  g_clear_pointer (&dl->to_write, g_async_queue_unref);
  g_clear_pointer (&dl->to_hash, g_async_queue_unref);
}

/* Runs in a worker once every byte is written: the digest, fsync, and the
 * rename that never replaces a file. */
static void
download_finish_thread (GTask        *subtask,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  Call *call = task_data;
  Download *dl = call->dl;
  g_autofree char *final_path = g_build_filename (dl->directory, call->name, NULL);
  guint8 raw[OSI_SHA256_LEN];

  if (dl->truncate && ftruncate (dl->part_fd, 0) < 0)
    {
      g_task_return_error (subtask, _osi_client_local_error (errno, dl->part_path, _("Cannot write %s"),
                                                             dl->part_path));
      return;
    }
  osi_sha256_finish_raw (dl->sha, raw);
  dl->sha256_hex = g_malloc (OSI_SHA256_HEX_LEN + 1);
  osi_hex_encode (raw, sizeof raw, dl->sha256_hex);
  if (dl->have_digest && memcmp (raw, dl->digest, OSI_SHA256_LEN) != 0)
    {
      /* Neither kept nor resumed from: the bytes on disk are wrong. */
      unlinkat (dl->dir_fd, dl->part_name, 0);
      g_task_return_new_error (subtask, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY,
                               _("The downloaded file does not match the checksum the server sent: it was "
                                 "deleted. Download it again."));
      return;
    }
  {
    struct stat st;

    if ((dl->listed_sha256 != NULL && strcmp (dl->sha256_hex, dl->listed_sha256) != 0) ||
        (dl->listed_size >= 0 && fstat (dl->part_fd, &st) == 0 && (gint64)st.st_size != dl->listed_size))
      {
        /* Not the backup the list showed (replaced since, or altered on
         * the way): never kept under its name. */
        unlinkat (dl->dir_fd, dl->part_name, 0);
        g_task_return_new_error (subtask, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY,
                                 _("The downloaded file is not the backup the list showed (its size or checksum "
                                   "differs): it was deleted. Refresh the list, then download it again."));
        return;
      }
  }

  if (fsync (dl->part_fd) < 0)
    {
      g_task_return_error (subtask, _osi_client_local_error (errno, dl->part_path, _("Cannot write %s"),
                                                             dl->part_path));
      return;
    }

  if (renameat2 (dl->dir_fd, dl->part_name, dl->dir_fd, call->name, RENAME_NOREPLACE) < 0)
    {
      int saved_errno = errno;

      /* File systems without RENAME_NOREPLACE: a hard link refuses to
       * replace as well. */
      if (saved_errno == EINVAL || saved_errno == ENOSYS || saved_errno == EOPNOTSUPP)
        {
          if (linkat (dl->dir_fd, dl->part_name, dl->dir_fd, call->name, 0) == 0)
            {
              unlinkat (dl->dir_fd, dl->part_name, 0);
              saved_errno = 0;
            }
          else
            saved_errno = errno;
        }
      if (saved_errno == EEXIST)
        {
          unlinkat (dl->dir_fd, dl->part_name, 0);
          g_task_return_new_error (subtask, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL,
                                   _("A file named “%s” already exists in %s: move it away or choose another "
                                     "folder."),
                                   call->name, dl->directory);
          return;
        }
      if (saved_errno != 0)
        {
          g_task_return_error (subtask, _osi_client_local_error (saved_errno, final_path,
                                                                 _("Cannot rename the downloaded file to %s"),
                                                                 final_path));
          return;
        }
    }
  fsync (dl->dir_fd);
  g_task_return_pointer (subtask, g_steal_pointer (&final_path), g_free);
}

static void download_pump (GTask *task);
static void download_send (GTask *task);

static void
download_record (Download *dl,
                 GError   *error)
{
  if (dl->error == NULL)
    dl->error = error;
  else
    g_error_free (error);
}

static void
on_download_finished (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *path;

  path = g_task_propagate_pointer (G_TASK (result), &error);
  if (path == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, path, g_free);
}

/* Once nothing is being read or written. */
static void
download_settle (GTask *task)
{
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  Download *dl = call->dl;
  g_autoptr(GTask) subtask = NULL;
  struct stat st;

  /* The network part is over: a slow fsync is no silent server. */
  _osi_client_call_stop_watchdog (call);
  download_stop_threads (dl);
  if (dl->error == NULL && dl->total > 0 && dl->done != dl->total)
    {
      g_autofree char *detail = g_strdup_printf (_("the transfer stopped after %llu of %llu bytes"),
                                                 (unsigned long long)dl->done, (unsigned long long)dl->total);

      dl->error = _osi_client_connection_error (self, detail);
    }

  if (dl->error != NULL)
    {
      /* The connection cannot be reused halfway through a body. */
      g_cancellable_cancel (call->cancellable);
      g_clear_object (&call->body);
      /* Nothing worth resuming from. */
      if (dl->part_fd >= 0 && !dl->truncate && fstat (dl->part_fd, &st) == 0 && st.st_size == 0)
        unlinkat (dl->dir_fd, dl->part_name, 0);
      g_task_return_error (task, g_steal_pointer (&dl->error));
      return;
    }

  g_clear_object (&call->body);
  _osi_client_meter_report (&call->meter, dl->done, dl->total != 0 ? dl->total : dl->done, TRUE);
  subtask = g_task_new (NULL, NULL, on_download_finished, g_object_ref (task));
  g_task_set_task_data (subtask, call, NULL);
  g_task_run_in_thread (subtask, download_finish_thread);
}

/* A chunk written and hashed (or passed over after a failure). */
static gboolean
on_chunk_back (gpointer data)
{
  Chunk *chunk = data;
  g_autoptr(GTask) task = g_steal_pointer (&chunk->task);
  Call *call = g_task_get_task_data (task);
  Download *dl = chunk->dl;
  int saved_errno = g_atomic_int_get (&dl->write_errno);

  dl->away--;
  g_queue_push_tail (&dl->free_chunks, chunk);
  _osi_client_call_touch (call);
  if (saved_errno != 0)
    {
      if (!dl->write_failed)
        {
          dl->write_failed = TRUE;
          download_record (dl, _osi_client_local_error (saved_errno, dl->part_path, _("Cannot write %s"),
                                                        dl->part_path));
          g_cancellable_cancel (call->cancellable);
        }
    }
  else
    {
      dl->done += chunk->len;
      _osi_client_meter_report (&call->meter, dl->done, dl->total, FALSE);
    }
  download_pump (task);
  return G_SOURCE_REMOVE;
}

/* The main loop went away with a chunk on its way back. */
static void
on_chunk_back_free (gpointer data)
{
  Chunk *chunk = data;

  g_clear_object (&chunk->task);
}

static void
on_chunk_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  Download *dl = call->dl;
  GError *error = NULL;
  gsize n = 0;

  dl->reading = FALSE;
  _osi_client_call_touch (call);
  /* Bytes read before an error are good: they make the .part longer. */
  g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n, &error);
  if (n > 0)
    {
      Chunk *chunk = g_queue_pop_head (&dl->free_chunks);

      if (dl->truncate)
        dl->read_pos = 0;
      dl->read_pos += n;
      chunk->len = n;
      chunk->truncate = dl->truncate;
      dl->truncate = FALSE;
      chunk->task = g_object_ref (task);
      dl->away++;
      download_start_threads (dl);
      g_atomic_int_set (&chunk->away, 2);
      g_async_queue_push (dl->to_write, chunk);
      g_async_queue_push (dl->to_hash, chunk);
    }
  if (error != NULL)
    download_record (dl, _osi_client_transport_error (task, error));
  else if (n < dl->read_want)
    dl->eof = TRUE;
  download_pump (task);
}

/* Reads fill free chunks from the network while the writer and the
 * hasher work on earlier ones; the download settles once nothing is
 * being read and every chunk is back. */
static void
download_pump (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  Download *dl = call->dl;
  GCancellable *user_cancellable = g_task_get_cancellable (task);

  if (dl->error == NULL && g_cancellable_set_error_if_cancelled (user_cancellable, &dl->error))
    g_cancellable_cancel (call->cancellable);

  if (!dl->reading && !dl->eof && dl->error == NULL && !g_queue_is_empty (&dl->free_chunks))
    {
      Chunk *chunk = g_queue_peek_head (&dl->free_chunks);

      /* Up to the next aligned offset, for the chunks after it to go
       * to the disk directly. */
      dl->reading = TRUE;
      dl->read_want = CHUNK_SIZE - (gsize)((dl->truncate ? 0 : dl->read_pos) % DIRECT_ALIGN);
      g_input_stream_read_all_async (call->body, chunk->data, dl->read_want, G_PRIORITY_DEFAULT,
                                     call->cancellable, on_chunk_read, g_object_ref (task));
    }

  if (!dl->reading && dl->away == 0)
    download_settle (task);
}

/* sha-256=:BASE64: among the members of a Repr-Digest dictionary
 * (RFC 9530). Returns FALSE if a sha-256 member is there but broken. */
static gboolean
parse_repr_digest (const char *value,
                   Download   *dl)
{
  g_auto(GStrv) members = NULL;

  dl->have_digest = FALSE;
  if (value == NULL)
    return TRUE;
  members = g_strsplit (value, ",", -1);
  for (guint i = 0; members[i] != NULL; i++)
    {
      char *member = g_strstrip (members[i]);
      char *eq = strchr (member, '=');
      char *params;
      g_autofree guchar *raw = NULL;
      gsize len = 0;
      gsize vlen;
      char *v;

      if (eq == NULL)
        continue;
      *eq = '\0';
      g_strstrip (member);
      if (g_ascii_strcasecmp (member, "sha-256") != 0)
        continue;
      v = g_strstrip (eq + 1);
      if ((params = strchr (v, ';')) != NULL)
        *params = '\0';
      g_strstrip (v);
      vlen = strlen (v);
      if (vlen < 2 || v[0] != ':' || v[vlen - 1] != ':')
        return FALSE;
      v[vlen - 1] = '\0';
      raw = g_base64_decode (v + 1, &len);
      if (raw == NULL || len != OSI_SHA256_LEN)
        return FALSE;
      memcpy (dl->digest, raw, OSI_SHA256_LEN);
      dl->have_digest = TRUE;
      return TRUE;
    }
  return TRUE;
}

/* The .part once more, for O_DIRECT writes, if the file system takes
 * them; the same file as part_fd (checked), or none. */
static void
open_direct (Download *dl)
{
  struct stat part_st, direct_st;

  dl->direct_fd = openat (dl->dir_fd, dl->part_name, O_WRONLY | O_DIRECT | O_CLOEXEC | O_NOFOLLOW);
  if (dl->direct_fd < 0)
    return;
  if (fstat (dl->part_fd, &part_st) < 0 || fstat (dl->direct_fd, &direct_st) < 0 ||
      part_st.st_dev != direct_st.st_dev || part_st.st_ino != direct_st.st_ino)
    {
      close (dl->direct_fd);
      dl->direct_fd = -1;
    }
}

static void
on_download_sent (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OsiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  Download *dl = call->dl;
  g_autoptr(GInputStream) stream = NULL;
  SoupMessageHeaders *headers;
  GError *error = NULL;
  guint status;

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (stream == NULL)
    {
      g_task_return_error (task, _osi_client_transport_error (task, error));
      return;
    }
  status = soup_message_get_status (call->msg);
  headers = soup_message_get_response_headers (call->msg);

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && dl->offset > 0 && !dl->retried)
    {
      /* The .part is not a beginning of this backup (it is as long or
       * longer): start over. */
      g_debug ("416 for a .part of %" G_GUINT64_FORMAT " bytes: downloading again from the start", dl->offset);
      dl->retried = TRUE;
      dl->offset = 0;
      dl->truncate = TRUE;
      osi_sha256_reset (dl->sha);
      g_clear_object (&stream);
      g_signal_handlers_disconnect_by_data (call->msg, call);
      g_clear_object (&call->msg);
      download_send (task);
      return;
    }

  if (SOUP_STATUS_IS_SUCCESSFUL (status) && status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    {
      g_autofree char *detail = g_strdup_printf (_("HTTP status %u for a download"), status);

      g_task_return_error (task, _osi_client_protocol_error (self, detail));
      return;
    }
  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    {
      _osi_client_start_reading (task, stream);
      return;
    }

  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      goffset start = -1, end = -1, total = -1;

      if (dl->offset == 0 || !soup_message_headers_get_content_range (headers, &start, &end, &total) ||
          start != (goffset)dl->offset)
        {
          g_autofree char *detail = g_strdup_printf (_("asked for the bytes from %llu on, received "
                                                       "another range"),
                                                     (unsigned long long)dl->offset);

          g_task_return_error (task, _osi_client_protocol_error (self, detail));
          return;
        }
      dl->done = dl->offset;
      dl->total = total > 0 ? (guint64)total : 0;
    }
  else
    {
      if (dl->offset > 0)
        {
          /* The server ignored the Range: the whole file comes again. */
          dl->truncate = TRUE;
          osi_sha256_reset (dl->sha);
        }
      dl->done = 0;
      dl->total = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
                    ? (guint64)soup_message_headers_get_content_length (headers) : 0;
    }

  if (!parse_repr_digest (soup_message_headers_get_list (headers, "Repr-Digest"), dl))
    {
      g_task_return_error (task, _osi_client_protocol_error (self, _("malformed Repr-Digest")));
      return;
    }

  if (dl->part_fd < 0)
    {
      dl->part_fd = openat (dl->dir_fd, dl->part_name, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (dl->part_fd < 0)
        {
          g_task_return_error (task, _osi_client_local_error (errno, dl->part_path, _("Cannot write %s"),
                                                              dl->part_path));
          return;
        }
    }
  if (dl->direct_fd < 0)
    open_direct (dl);
  dl->read_pos = dl->offset;
  dl->write_pos = dl->offset;

  call->body = g_steal_pointer (&stream);
  _osi_client_meter_start (&call->meter, dl->done);
  download_pump (task);
}

static void
download_send (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  Download *dl = call->dl;

  if (!_osi_client_call_prepare (task, SOUP_METHOD_GET, "/api/rag/backup", TRUE, TRUE))
    return;
  /* The bytes as stored: offsets and digest are those of the file. */
  soup_message_disable_feature (call->msg, SOUP_TYPE_CONTENT_DECODER);
  if (dl->offset > 0)
    soup_message_headers_set_range (soup_message_get_request_headers (call->msg), (goffset)dl->offset, -1);
  _osi_client_call_send (task, on_download_sent);
}

static void
on_download_prepared (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) ||
      g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error) ||
      g_cancellable_set_error_if_cancelled (call->cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  download_send (task);
}

void
osi_client_download_async (OsiClient           *self,
                           const char          *name,
                           const char          *directory,
                           OsiTransferProgress  progress,
                           gpointer             progress_data,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) subtask = NULL;
  Download *dl;
  Call *call;

  g_return_if_fail (OSI_IS_CLIENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (directory != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = _osi_client_call_task_new (self, OP_DOWNLOAD, name, cancellable, callback, user_data,
                                    osi_client_download_async);
  call = g_task_get_task_data (task);
  call->meter.func = progress;
  call->meter.data = progress_data;
  if (!osi_backup_name_is_valid (name))
    {
      g_task_return_error (task, _osi_client_invalid_name_error (name));
      return;
    }

  dl = g_new0 (Download, 1);
  dl->dir_fd = -1;
  dl->part_fd = -1;
  dl->direct_fd = -1;
  dl->listed_size = -1;
  for (guint i = 0; self->last_list != NULL && i < self->last_list->len; i++)
    {
      OsiBackupInfo *info = g_ptr_array_index (self->last_list, i);

      if (g_str_equal (osi_backup_info_get_name (info), name))
        {
          dl->listed_size = osi_backup_info_get_size (info);
          dl->listed_sha256 = g_strdup (osi_backup_info_get_sha256 (info));
        }
    }
  dl->directory = g_strdup (directory);
  dl->part_name = g_strconcat (name, ".part", NULL);
  dl->part_path = g_build_filename (directory, dl->part_name, NULL);
  dl->sha = osi_sha256_new ();
  for (guint i = 0; i < N_CHUNKS; i++)
    {
      dl->chunks[i].dl = dl;
      dl->chunks[i].data = g_aligned_alloc (1, CHUNK_SIZE, DIRECT_ALIGN);
      g_queue_push_tail (&dl->free_chunks, &dl->chunks[i]);
    }
  dl->context = g_main_context_ref_thread_default ();
  call->dl = dl;

  subtask = g_task_new (NULL, call->cancellable, on_download_prepared, g_object_ref (task));
  g_task_set_task_data (subtask, call, NULL);
  g_task_set_check_cancellable (subtask, FALSE);
  g_task_run_in_thread (subtask, download_prepare_thread);
}

char *
osi_client_download_finish (OsiClient     *self,
                            GAsyncResult  *result,
                            char         **sha256,
                            GError       **error)
{
  char *path;

  g_return_val_if_fail (_osi_client_check_result (self, result, osi_client_download_async), NULL);

  path = g_task_propagate_pointer (G_TASK (result), error);
  if (path != NULL && sha256 != NULL)
    {
      Call *call = g_task_get_task_data (G_TASK (result));

      *sha256 = g_strdup (call->dl->sha256_hex);
    }
  return path;
}
