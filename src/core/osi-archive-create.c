/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <zstd.h>

#include "osi-archive.h"
#include "osi-archive-private.h"
#include "osi-error.h"
#include "osi-open.h"

#define WRITEBACK_STEP  (16 * 1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Creation                                                                 */

typedef struct
{
  char    *path;   /* relative, '/'-separated */
  gint64   size;
  gint64   mtime;
  guint    mode;
  gboolean is_dir;
} Item;

static void
item_free (gpointer data)
{
  Item *item = data;

  g_free (item->path);
  g_free (item);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *)a, *(char * const *)b);
}

/* Lists the tree in a stable order without following symlinks; files that
 * are neither regular nor folders cannot be in a backup (docs/archive-format.md §3). */
static gboolean
collect_items (int          dir_fd,
               const char  *prefix,
               GPtrArray   *items,
               guint64     *total,
               GError     **error)
{
  g_autoptr(GPtrArray) names = osi_read_dir_names (dir_fd);

  if (names == NULL)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot read the folder “%s”: %s"), *prefix ? prefix : ".", g_strerror (saved));
      return FALSE;
    }
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = *prefix ? g_strconcat (prefix, "/", name, NULL) : g_strdup (name);
      struct stat st;
      Item *item;

      if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot read “%s”: %s"), path, g_strerror (saved));
          return FALSE;
        }
      if (!g_utf8_validate (path, -1, NULL))
        {
          g_autofree char *shown = g_strescape (path, NULL);
          g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_NAME,
                       _("The name “%s” is not valid UTF-8: rename it before backing up."), shown);
          return FALSE;
        }
      if (!*prefix && strcmp (name, OSI_MANIFEST_NAME) == 0)
        {
          g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                       _("The data folder holds a file named manifest.json, a name that backups reserve: rename it."));
          return FALSE;
        }
      if (!S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode))
        {
          g_message ("Not backing up “%s”: neither a file nor a folder", path);
          continue;
        }

      item = g_new0 (Item, 1);
      item->path = g_strdup (path);
      item->is_dir = S_ISDIR (st.st_mode);
      item->size = item->is_dir ? 0 : st.st_size;
      item->mtime = st.st_mtim.tv_sec;
      /* as it is, so that a restore gives it back (config/ holds secrets,
       * 0600), but never setuid, setgid or sticky */
      item->mode = st.st_mode & (S_IRWXU | S_IRWXG | S_IRWXO);
      g_ptr_array_add (items, item);
      *total += (guint64)item->size;

      if (item->is_dir)
        {
          int sub = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          gboolean ok;

          if (sub < 0)
            {
              int saved = errno;
              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                           _("Cannot read the folder “%s”: %s"), path, g_strerror (saved));
              return FALSE;
            }
          ok = collect_items (sub, path, items, total, error);
          close (sub);
          if (!ok)
            return FALSE;
        }
    }

  return TRUE;
}

/* Where the tar stream goes. zstd is driven here rather than through
 * libarchive's filter, whose multithreaded mode (3.6) writes frames that
 * zstd cannot read back: with one worker, compression runs beside the
 * thread that reads and hashes, as `tar | zstd -T1` does with two
 * processes. */
typedef struct
{
  int        fd;
  OsiSha256 *sha;
  int        error_code;
  /* Set by any failure, the close callback's too: libarchive 3.6 does
   * not pass on what that one returns, and it writes the end of the
   * zstd stream, which a full disk can refuse. */
  gboolean   failed;
  ZSTD_CCtx *zstd;
  guint8    *out;
  gsize      out_size;
  gsize      unsynced;
} Sink;

static gboolean
sink_emit (struct archive *a,
           Sink           *sink,
           const void     *buffer,
           size_t          length)
{
  int saved;

  if (!osi_write_all (sink->fd, buffer, length, &saved))
    {
      sink->error_code = saved;
      sink->failed = TRUE;
      archive_set_error (a, saved, "%s", g_strerror (saved));
      return FALSE;
    }
  if (sink->sha != NULL)
    osi_sha256_update (sink->sha, buffer, length);

  /* Start writeback as we go, so that the final fsync does not wait for
   * the whole archive. */
  sink->unsynced += length;
  if (sink->unsynced >= WRITEBACK_STEP)
    {
      sync_file_range (sink->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
      sink->unsynced = 0;
    }
  return TRUE;
}

static gboolean
sink_compress (struct archive    *a,
               Sink              *sink,
               const void        *buffer,
               size_t             length,
               ZSTD_EndDirective  mode)
{
  ZSTD_inBuffer in = { buffer, length, 0 };

  for (;;)
    {
      ZSTD_outBuffer out = { sink->out, sink->out_size, 0 };
      size_t left = ZSTD_compressStream2 (sink->zstd, &out, &in, mode);

      if (ZSTD_isError (left))
        {
          sink->failed = TRUE;
          archive_set_error (a, EIO, "zstd: %s", ZSTD_getErrorName (left));
          return FALSE;
        }
      if (out.pos > 0 && !sink_emit (a, sink, sink->out, out.pos))
        return FALSE;
      if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
        return TRUE;
    }
}

static la_ssize_t
sink_write (struct archive *a,
            void           *user_data,
            const void     *buffer,
            size_t          length)
{
  Sink *sink = user_data;
  gboolean ok = sink->zstd != NULL
    ? sink_compress (a, sink, buffer, length, ZSTD_e_continue)
    : sink_emit (a, sink, buffer, length);

  return ok ? (la_ssize_t)length : -1;
}

static int
sink_close (struct archive *a,
            void           *user_data)
{
  Sink *sink = user_data;

  if (sink->zstd != NULL && !sink_compress (a, sink, NULL, 0, ZSTD_e_end))
    return ARCHIVE_FATAL;
  return ARCHIVE_OK;
}

static gboolean
sink_init_zstd (Sink *sink,
                int   level)
{
  sink->zstd = ZSTD_createCCtx ();
  sink->out_size = ZSTD_CStreamOutSize ();
  sink->out = g_malloc (sink->out_size);
  if (sink->zstd == NULL ||
      ZSTD_isError (ZSTD_CCtx_setParameter (sink->zstd, ZSTD_c_compressionLevel, level)) ||
      ZSTD_isError (ZSTD_CCtx_setParameter (sink->zstd, ZSTD_c_checksumFlag, 1)))
    return FALSE;
  /* Fails harmlessly where libzstd has no threads: the same format,
   * compressed on this thread. 2 MiB jobs keep the worker's buffers near
   * 20 MiB rather than 50 at level 3, for an archive 0.05 % larger. */
  if (!ZSTD_isError (ZSTD_CCtx_setParameter (sink->zstd, ZSTD_c_nbWorkers, 1)))
    ZSTD_CCtx_setParameter (sink->zstd, ZSTD_c_jobSize, 2 * 1024 * 1024);
  return TRUE;
}

static void
sink_clear (Sink *sink)
{
  g_clear_pointer (&sink->zstd, ZSTD_freeCCtx);
  g_clear_pointer (&sink->out, g_free);
}

static gboolean
set_archive_error (struct archive  *a,
                   Sink            *sink,
                   GError         **error)
{
  if (sink->error_code != 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (sink->error_code),
                 sink->error_code == ENOSPC
                   ? _("Not enough disk space to write the backup: free some space and try again.")
                   : _("Cannot write the backup: %s"),
                 g_strerror (sink->error_code));
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 _("Cannot write the backup: %s"), archive_error_string (a));
  return FALSE;
}

static gboolean
write_entry_header (struct archive  *a,
                    const Item      *item,
                    const char      *path,
                    gint64           size,
                    Sink            *sink,
                    GError         **error)
{
  struct archive_entry *entry = archive_entry_new2 (a);
  int r;

  archive_entry_set_pathname_utf8 (entry, path);
  archive_entry_set_filetype (entry, item->is_dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm (entry, item->mode);
  archive_entry_set_size (entry, size);
  archive_entry_set_mtime (entry, item->mtime, 0);
  archive_entry_set_uid (entry, 0);
  archive_entry_set_gid (entry, 0);
  r = archive_write_header (a, entry);
  archive_entry_free (entry);
  if (r < ARCHIVE_WARN)
    return set_archive_error (a, sink, error);
  return TRUE;
}

static gboolean
write_file_data (struct archive   *a,
                 int               root_fd,
                 const Item       *item,
                 guint8           *buffer,
                 OsiSha256        *sha,
                 OsiRagValidator  *rag,
                 Sink             *sink,
                 char              hex[OSI_SHA256_HEX_LEN + 1],
                 guint64          *done,
                 guint64           total,
                 guint64          *next_progress,
                 OsiProgressRelay *relay,
                 GCancellable     *cancellable,
                 GError          **error)
{
  gint64 left = item->size;
  GError *reason = NULL;
  /* a FIFO swapped in since the walk would block the backup for ever */
  int fd = osi_open_regular_at (root_fd, item->path, OSI_OPEN_NONE, NULL, &reason);

  if (fd < 0)
    {
      g_set_error (error, reason->domain, reason->code, _("Cannot read “%s”: %s"), item->path, reason->message);
      g_error_free (reason);
      return FALSE;
    }

  while (left > 0)
    {
      ssize_t n = read (fd, buffer, (gsize)MIN (left, (gint64)OSI_ARCHIVE_IO_BLOCK));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = n < 0 ? errno : 0;
          close (fd);
          if (n < 0)
            g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                         _("Cannot read “%s”: %s"), item->path, g_strerror (saved));
          else
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         _("“%s” shrank while it was being backed up: try again when the backend is idle."),
                         item->path);
          return FALSE;
        }

      osi_sha256_update (sha, buffer, (gsize)n);
      if (rag != NULL)
        osi_rag_validator_feed (rag, buffer, (gsize)n);
      if (archive_write_data (a, buffer, (size_t)n) < 0)
        {
          close (fd);
          return set_archive_error (a, sink, error);
        }
      left -= n;
      *done += (guint64)n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return FALSE;
        }
      if (relay != NULL && *done >= *next_progress)
        {
          *next_progress = *done + OSI_ARCHIVE_PROGRESS_STEP;
          osi_progress_relay_report (*done, total, relay);
        }
    }

  close (fd);
  osi_sha256_finish_hex (sha, hex);
  return TRUE;
}

static char *
build_manifest (GPtrArray  *items,
                GPtrArray  *digests,
                gint64      rag_entries)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *created = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  g_autoptr(JsonNode) root = NULL;
  guint d = 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, "osi-backup");
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, created);
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, g_get_host_name ());
  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < items->len; i++)
    {
      const Item *item = g_ptr_array_index (items, i);

      if (item->is_dir)
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, item->path);
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, item->size);
      json_builder_set_member_name (builder, "sha256");
      json_builder_add_string_value (builder, g_ptr_array_index (digests, d++));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "rag_entries");
  json_builder_add_int_value (builder, MAX (rag_entries, 0));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

static gboolean
sync_parent (const char  *path,
             GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot sync the folder “%s”: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* A pax archive into sink, compressed by libarchive's gzip filter (level
 * 6) or by the sink's own zstd (level 3). */
static gboolean
open_writer (struct archive  *a,
             Sink            *sink,
             OsiCompression   compression,
             GError         **error)
{
  g_autofree char *option = NULL;

  if (compression == OSI_COMPRESSION_GZIP)
    {
      archive_write_add_filter_gzip (a);
      option = g_strdup ("gzip:compression-level=6");
    }
  else
    {
      option = g_strdup ("");
      if (!sink_init_zstd (sink, 3))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot start the zstd compressor."));
          return FALSE;
        }
    }
  archive_write_set_format_pax_restricted (a);
  /* 64 KiB handed to the compressor at a time rather than 10 KiB: a sixth
   * of the calls. No padding of the last block: nothing reads these from
   * tape. */
  archive_write_set_bytes_per_block (a, 64 * 1024);
  archive_write_set_bytes_in_last_block (a, 1);
  if (archive_write_set_options (a, option) < ARCHIVE_WARN ||
      archive_write_open2 (a, sink, NULL, sink_write, sink_close, NULL) != ARCHIVE_OK)
    return set_archive_error (a, sink, error);
  return TRUE;
}

/* Each item's header, and each file's data, hashed into digests in the
 * order of items; rag_entries counts the knowledge base's entries when it
 * is valid. */
static gboolean
write_items (struct archive   *a,
             int               root_fd,
             GPtrArray        *items,
             Sink             *sink,
             GPtrArray        *digests,
             gint64           *rag_entries,
             guint64           total,
             OsiProgressRelay *relay,
             GCancellable     *cancellable,
             GError          **error)
{
  g_autoptr(OsiRagValidator) rag = NULL;
  g_autofree guint8 *buffer = g_malloc (OSI_ARCHIVE_IO_BLOCK);
  guint64 done = 0;
  guint64 next_progress = 0;

  for (guint i = 0; i < items->len; i++)
    {
      const Item *item = g_ptr_array_index (items, i);
      g_autoptr(OsiSha256) file_sha = NULL;
      char hex[OSI_SHA256_HEX_LEN + 1];
      gboolean is_rag;

      if (!write_entry_header (a, item, item->path, item->size, sink, error))
        return FALSE;
      if (item->is_dir)
        continue;

      is_rag = strcmp (item->path, OSI_RAG_PATH) == 0;
      if (is_rag)
        rag = osi_rag_validator_new ();
      file_sha = osi_sha256_new ();
      if (!write_file_data (a, root_fd, item, buffer, file_sha, is_rag ? rag : NULL, sink, hex,
                            &done, total, &next_progress, relay, cancellable, error))
        return FALSE;
      g_ptr_array_add (digests, g_strdup (hex));
      if (is_rag)
        {
          g_autofree char *message = NULL;

          if (osi_rag_validator_finish (rag, &message) == OSI_RAG_OK)
            *rag_entries = (gint64)osi_rag_validator_get_entry_count (rag);
          else
            g_message ("The knowledge base being backed up is not valid: %s", message);
        }
    }
  return TRUE;
}

static gboolean
write_manifest (struct archive  *a,
                GPtrArray       *items,
                GPtrArray       *digests,
                gint64           rag_entries,
                Sink            *sink,
                GError         **error)
{
  g_autofree char *manifest = build_manifest (items, digests, rag_entries);
  Item manifest_item = { (char *)OSI_MANIFEST_NAME, 0, 0, 0644, FALSE };
  gsize len = strlen (manifest);
  GDateTime *now = g_date_time_new_now_utc ();

  manifest_item.mtime = g_date_time_to_unix (now);
  g_date_time_unref (now);
  if (!write_entry_header (a, &manifest_item, OSI_MANIFEST_NAME, (gint64)len, sink, error))
    return FALSE;
  if (archive_write_data (a, manifest, len) < 0)
    return set_archive_error (a, sink, error);
  return TRUE;
}

/* Never replace an existing backup of the same name. */
static gboolean
save_without_replacing (const char  *tmp_path,
                        const char  *archive_path,
                        GError     **error)
{
  if (renameat2 (AT_FDCWD, tmp_path, AT_FDCWD, archive_path, RENAME_NOREPLACE) < 0)
    {
      int saved = errno;

      if (saved == EINVAL || saved == ENOSYS)
        {
          if (link (tmp_path, archive_path) == 0)
            {
              g_unlink (tmp_path);
              saved = 0;
            }
          else
            saved = errno;
        }
      if (saved != 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot save the backup as “%s”: %s"), archive_path, g_strerror (saved));
          return FALSE;
        }
    }
  return TRUE;
}

/* osi_archive_create (), its progress reported to relay when that is not
 * NULL (the _async variant's). */
static gboolean
create_archive (const char        *data_dir,
                const char        *archive_path,
                OsiCompression     compression,
                OsiProgressRelay  *relay,
                char             **out_sha256,
                GCancellable      *cancellable,
                GError           **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (item_free);
  g_autoptr(GPtrArray) digests = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OsiSha256) sha = osi_sha256_new ();
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_path = NULL;
  struct archive *a = NULL;
  guint64 total = 0;
  gint64 rag_entries = 0;
  Sink sink = { .fd = -1 };
  LocaleScope locale_scope = { 0 };
  gboolean ok = FALSE;
  int root_fd;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (archive_path != NULL, FALSE);
  g_return_val_if_fail (!error || !*error, FALSE);

  root_fd = open (data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the data folder “%s”: %s"), data_dir, g_strerror (saved));
      return FALSE;
    }
  _osi_archive_push_utf8_locale (&locale_scope);

  if (!collect_items (root_fd, "", items, &total, error))
    goto out;

  dir = g_path_get_dirname (archive_path);
  base = g_path_get_basename (archive_path);
  tmp_path = g_strdup_printf ("%s/.%s.XXXXXX.part", dir, base);
  /* 0600: a backup holds the backend's secrets (config/). */
  sink.fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  if (sink.fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the backup in “%s”: %s"), dir, g_strerror (saved));
      g_clear_pointer (&tmp_path, g_free);
      goto out;
    }
  /* Hashing the output costs ~0.35 s a GiB on this one thread: only when
   * asked for. */
  sink.sha = out_sha256 != NULL ? sha : NULL;

  a = archive_write_new ();
  if (!open_writer (a, &sink, compression, error))
    goto out;

  if (!write_items (a, root_fd, items, &sink, digests, &rag_entries, total, relay, cancellable, error))
    goto out;

  /* Last, so that the archive is written in one pass; readers look for it
   * anywhere. */
  if (!write_manifest (a, items, digests, rag_entries, &sink, error))
    goto out;

  /* Whatever archive_write_close () says: see Sink.failed. */
  if (archive_write_close (a) != ARCHIVE_OK || sink.failed)
    {
      set_archive_error (a, &sink, error);
      goto out;
    }

  if (fsync (sink.fd) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot write the backup: %s"), g_strerror (saved));
      goto out;
    }
  fchmod (sink.fd, 0600);
  close (sink.fd);
  sink.fd = -1;

  if (!save_without_replacing (tmp_path, archive_path, error))
    goto out;
  g_clear_pointer (&tmp_path, g_free);

  if (!sync_parent (archive_path, error))
    goto out;

  if (relay != NULL)
    osi_progress_relay_report (total, total, relay);
  if (out_sha256 != NULL)
    {
      char hex[OSI_SHA256_HEX_LEN + 1];
      osi_sha256_finish_hex (sha, hex);
      *out_sha256 = g_strdup (hex);
    }
  ok = TRUE;

out:
  if (a != NULL)
    archive_write_free (a);
  sink_clear (&sink);
  _osi_archive_pop_locale (&locale_scope);
  osi_abandon_temporary (&sink.fd, &tmp_path);
  close (root_fd);
  return ok;
}

gboolean
osi_archive_create (const char      *data_dir,
                    const char      *archive_path,
                    OsiCompression   compression,
                    char           **out_sha256,
                    GCancellable    *cancellable,
                    GError         **error)
{
  return create_archive (data_dir, archive_path, compression, NULL, out_sha256, cancellable, error);
}

static gboolean
create_job (ArchiveJob    *job,
            GCancellable  *cancellable,
            GError       **error)
{
  return create_archive (job->other_path, job->archive_path, job->compression, job->relay, &job->sha256,
                         cancellable, error);
}

void
osi_archive_create_async (const char          *data_dir,
                          const char          *archive_path,
                          OsiCompression       compression,
                          OsiProgressFunc      progress,
                          gpointer             progress_data,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  ArchiveJob *job;

  g_return_if_fail (data_dir != NULL);
  g_return_if_fail (archive_path != NULL);

  job = _osi_archive_job_new (create_job, archive_path, data_dir, NULL, progress, progress_data);
  job->compression = compression;
  _osi_archive_job_start (job, osi_archive_create_async, cancellable, callback, user_data);
}

gboolean
osi_archive_create_finish (GAsyncResult  *result,
                           char         **out_sha256,
                           GError       **error)
{
  ArchiveJob *job = _osi_archive_job_finish (result, osi_archive_create_async, NULL, error);

  if (job == NULL)
    return FALSE;
  if (out_sha256 != NULL)
    *out_sha256 = g_strdup (job->sha256);
  return TRUE;
}
