/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-archive.h"
#include "osi-archive-private.h"
#include "osi-json.h"
#include "osi-open.h"

#define MAX_PATH_BYTES  4096
#define MAX_NAME_BYTES  255

/* ------------------------------------------------------------------------ */
/* Paths                                                                    */

/* Returns OSI_N_FINDINGS when raw is a safe relative path, and its canonical
 * form (no "./", no empty components, no trailing slash) in out_norm. */
static OsiFindingCode
check_path (const char  *raw,
            char       **out_norm,
            const char **out_detail)
{
  g_autoptr(GString) norm = NULL;
  g_auto(GStrv) parts = NULL;

  *out_norm = NULL;
  *out_detail = NULL;

  if (raw == NULL || raw[0] == '\0')
    {
      *out_detail = _("empty name");
      return OSI_FINDING_UNSAFE_PATH;
    }
  if (!g_utf8_validate (raw, -1, NULL))
    return OSI_FINDING_NAME_NOT_UTF8;
  if (raw[0] == '/')
    return OSI_FINDING_ABSOLUTE_PATH;
  if (strlen (raw) > MAX_PATH_BYTES)
    {
      *out_detail = _("path too long");
      return OSI_FINDING_UNSAFE_PATH;
    }

  /* A backslash is a separator to Windows tools that may restore the same
   * archive: "..\" must not slip through as an ordinary name. */
  parts = g_strsplit_set (raw, "/\\", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (strcmp (parts[i], "..") == 0)
      return OSI_FINDING_PARENT_PATH;
  if (strchr (raw, '\\') != NULL)
    {
      *out_detail = _("backslash in name");
      return OSI_FINDING_UNSAFE_PATH;
    }

  norm = g_string_new (NULL);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0' || strcmp (parts[i], ".") == 0)
        continue;
      if (strlen (parts[i]) > MAX_NAME_BYTES)
        {
          *out_detail = _("name too long");
          return OSI_FINDING_UNSAFE_PATH;
        }
      if (norm->len > 0)
        g_string_append_c (norm, '/');
      g_string_append (norm, parts[i]);
    }

  *out_norm = g_string_free (g_steal_pointer (&norm), FALSE);
  return OSI_N_FINDINGS;
}

static const char *
entry_path (struct archive_entry *entry)
{
  const char *path = archive_entry_pathname_utf8 (entry);

  /* NULL when the raw name cannot be converted: look at the raw bytes,
   * which check_path () then refuses as not UTF-8. */
  return path != NULL ? path : archive_entry_pathname (entry);
}

/* ------------------------------------------------------------------------ */
/* Reading: verification and extraction share one pass                      */

/* What the table of paths seen holds for the manifest, which the report
 * does not list: a size no manifest can promise. */
static const OsiFileEntry manifest_seen = { (char *)OSI_MANIFEST_NAME, -1, NULL, FALSE };

static void
scan_clear (Scan *scan)
{
  if (scan->archive != NULL)
    archive_read_free (scan->archive);
  g_clear_pointer (&scan->pipe, _osi_archive_pipe_free);
  g_clear_pointer (&scan->seen, g_hash_table_unref);
  g_clear_pointer (&scan->manifest, json_object_unref);
  g_clear_pointer (&scan->rag, osi_rag_validator_free);
  g_clear_pointer (&scan->sha, osi_sha256_free);
  g_clear_pointer (&scan->buffer, g_free);
  g_clear_pointer (&scan->dir_path, g_free);
  if (scan->dir_fd >= 0)
    close (scan->dir_fd);
}

/* Bytes of the archive file read so far, as libarchive's own filters
 * count them. */
static guint64
scan_compressed_bytes (Scan *scan)
{
  if (scan->pipe != NULL)
    return _osi_archive_pipe_compressed_bytes (scan->pipe, scan->archive);
  return (guint64)MAX (archive_filter_bytes (scan->archive, -1), 0);
}

/* Hands data of the knowledge base to its validator, in a thread of its
 * own when the archive is read through the pipe. */
static void
scan_feed_rag (Scan         *scan,
               const guint8 *data,
               gsize         len)
{
  if (scan->pipe != NULL)
    _osi_archive_pipe_feed_rag (scan->pipe, data, len);
  else
    osi_rag_validator_feed (scan->rag, data, len);
}

static void
scan_progress (Scan *scan,
               gboolean force)
{
  guint64 done;

  if (scan->relay == NULL)
    return;
  done = scan->archive != NULL ? scan_compressed_bytes (scan) : scan->content_bytes;
  if (!force && done < scan->next_progress)
    return;
  scan->next_progress = done + OSI_ARCHIVE_PROGRESS_STEP;
  osi_progress_relay_report (MIN (done, scan->file_size), scan->file_size, scan->relay);
}

static gboolean
contains_ci (const char *haystack,
             const char *needle)
{
  g_autofree char *h = g_ascii_strdown (haystack, -1);
  g_autofree char *n = g_ascii_strdown (needle, -1);

  return strstr (h, n) != NULL;
}

/* libarchive reports a damaged stream through its error string only. */
static void
scan_stream_error (Scan *scan)
{
  const char *msg = archive_error_string (scan->archive);
  /* Some decoders fail without a word when the input ends early (a gzip
   * cut inside its trailer): having read everything is the tell. */
  gboolean at_end = scan_compressed_bytes (scan) >= scan->file_size;

  if (msg == NULL)
    msg = at_end ? _("unexpected end of file") : _("unknown error");

  if (scan->entries == 0 && contains_ci (msg, "unrecognized archive format"))
    osi_verify_report_add_finding (scan->report, OSI_FINDING_UNKNOWN_FORMAT, NULL, msg);
  else if (contains_ci (msg, "truncated") || contains_ci (msg, "premature end") ||
           contains_ci (msg, "unexpected end") || contains_ci (msg, "eof") ||
           archive_error_string (scan->archive) == NULL)
    osi_verify_report_add_finding (scan->report, OSI_FINDING_TRUNCATED, NULL, msg);
  else
    osi_verify_report_add_finding (scan->report, OSI_FINDING_CORRUPT, NULL, msg);

  scan->aborted = TRUE;
}

/* Stops the scan at a limit it went past: code, with detail (taken) saying
 * the limit. Returns FALSE, for its callers to return. */
static gboolean
scan_stop_at_limit (Scan           *scan,
                    OsiFindingCode  code,
                    char           *detail)
{
  osi_verify_report_add_finding (scan->report, code, NULL, detail);
  g_free (detail);
  scan->aborted = TRUE;
  return FALSE;
}

/* Judged after every block and every header so that a bomb is stopped
 * early, be it of data or of headers. */
static gboolean
scan_check_limits (Scan *scan)
{
  guint64 compressed;
  guint64 expanded;
  la_int64_t stream;

  if (scan->content_bytes > scan->limits.max_content_bytes)
    return scan_stop_at_limit (scan, OSI_FINDING_TOO_LARGE, g_format_size (scan->limits.max_content_bytes));

  if (scan->archive == NULL)
    return TRUE;

  /* The decompressed stream holds the headers as well as the data: tar
   * headers of empty files with long names expand like zeros, while the
   * files' data counts nothing. The data alone is larger for sparse
   * entries, whose holes the stream does not hold, and for zip, whose
   * stream is the compressed file itself. */
  stream = archive_filter_bytes (scan->archive, 0);
  expanded = MAX (scan->content_bytes, (guint64)MAX (stream, 0));
  if (expanded <= scan->limits.ratio_grace_bytes)
    return TRUE;

  compressed = MAX (scan_compressed_bytes (scan), 1);
  if (expanded / compressed > scan->limits.max_ratio)
    {
      g_autofree char *limit = g_strdup_printf ("%" G_GUINT64_FORMAT, scan->limits.max_ratio);

      /* Translators: %s is a number, the largest ratio allowed */
      return scan_stop_at_limit (scan, OSI_FINDING_RATIO_EXCEEDED, g_strdup_printf (_("more than %s:1"), limit));
    }

  return TRUE;
}

/* 1 with a block of the current entry, 0 at its end, -1 when the stream
 * failed (reported). */
static int
scan_next_block (Scan        *scan,
                 const void **block,
                 size_t      *len,
                 la_int64_t  *offset)
{
  int r = archive_read_data_block (scan->archive, block, len, offset);

  if (r == ARCHIVE_EOF)
    return 0;
  if (r < ARCHIVE_WARN)
    {
      scan_stream_error (scan);
      return -1;
    }
  return 1;
}

/* Hashes, checks and writes one piece of a file's data. */
static gboolean
scan_consume (Scan       *scan,
              int         fd,
              gboolean    is_rag,
              const char *path,
              const void *data,
              gsize       len)
{
  osi_sha256_update (scan->sha, data, len);
  if (is_rag)
    scan_feed_rag (scan, data, len);
  if (scan->on_data != NULL)
    scan->on_data (path, data, len, scan->on_data_user);
  if (fd >= 0)
    {
      int saved;

      if (!osi_write_all (fd, data, len, &saved))
        {
          _osi_archive_scan_write_failed (scan, path, saved);
          return FALSE;
        }
    }
  scan->content_bytes += len;
  return TRUE;
}

/* A hole of a sparse entry: hashed and checked as the zeros it reads as,
 * left as a hole on disk, and bounded by the limits like any data (the
 * archive alone decides how large a hole is). */
static gboolean
scan_consume_hole (Scan       *scan,
                   int         fd,
                   gboolean    is_rag,
                   const char *path,
                   gint64      size)
{
  static const guint8 zeros[64 * 1024];

  while (size > 0)
    {
      gsize n = (gsize)MIN (size, (gint64)sizeof zeros);

      osi_sha256_update (scan->sha, zeros, n);
      if (is_rag)
        scan_feed_rag (scan, zeros, n);
      if (scan->on_data != NULL)
        scan->on_data (path, zeros, n, scan->on_data_user);
      if (fd >= 0 && lseek (fd, (off_t)n, SEEK_CUR) < 0)
        {
          _osi_archive_scan_write_failed (scan, path, errno);
          return FALSE;
        }
      scan->content_bytes += n;
      size -= (gint64)n;
      if (!scan_check_limits (scan) || g_cancellable_is_cancelled (scan->cancellable))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_manifest (Scan       *scan,
               const char *path)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  const void *block;
  size_t len;
  la_int64_t offset;
  int r;

  while ((r = scan_next_block (scan, &block, &len, &offset)) > 0)
    {
      if (bytes->len + len > scan->limits.max_manifest_bytes)
        {
          osi_verify_report_add_finding (scan->report, OSI_FINDING_MANIFEST_INVALID, path,
                                         _("it is larger than the allowed size"));
          return archive_read_data_skip (scan->archive) >= ARCHIVE_WARN;
        }
      g_byte_array_append (bytes, block, (guint)len);
      scan->content_bytes += len;
    }
  if (r < 0)
    return FALSE;

  if (bytes->len == 0)
    {
      osi_verify_report_add_finding (scan->report, OSI_FINDING_MANIFEST_INVALID, path,
                                     _("it is empty"));
      return TRUE;
    }
  root = osi_json_parse ((const char *)bytes->data, bytes->len, &local_error);
  if (root == NULL)
    {
      osi_verify_report_add_finding (scan->report, OSI_FINDING_MANIFEST_INVALID, path,
                                     local_error != NULL ? local_error->message : _("it is not JSON"));
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      osi_verify_report_add_finding (scan->report, OSI_FINDING_MANIFEST_INVALID, path,
                                     _("it is not a JSON object"));
      return TRUE;
    }

  scan->manifest = json_object_ref (json_node_get_object (root));
  return TRUE;
}

/* Compares what was read with what the manifest promises. Only once the
 * whole stream was read: a truncated archive is reported as such, not as
 * a list of every file after the cut. */
static void
scan_check_manifest (Scan *scan)
{
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) canonical_paths = g_ptr_array_new_with_free_func (g_free);
  JsonNode *format;
  JsonNode *version;
  JsonNode *files_node;
  JsonArray *files;
  GPtrArray *entries;

  format = json_object_get_member (scan->manifest, "format");
  version = json_object_get_member (scan->manifest, "version");
  files_node = json_object_get_member (scan->manifest, "files");

  if (format == NULL || json_node_get_value_type (format) != G_TYPE_STRING ||
      g_strcmp0 (json_node_get_string (format), "osi-backup") != 0)
    {
      osi_verify_report_add_finding (scan->report, OSI_FINDING_MANIFEST_INVALID, OSI_MANIFEST_NAME,
                                     _("its “format” is not “osi-backup”"));
      return;
    }
  if (version == NULL || json_node_get_value_type (version) != G_TYPE_INT64 ||
      json_node_get_int (version) != 1)
    {
      osi_verify_report_add_finding (scan->report, OSI_FINDING_MANIFEST_INVALID, OSI_MANIFEST_NAME,
                                     _("its “version” is not 1, the only version this program reads"));
      return;
    }
  if (files_node == NULL || !JSON_NODE_HOLDS_ARRAY (files_node))
    {
      osi_verify_report_add_finding (scan->report, OSI_FINDING_MANIFEST_INVALID, OSI_MANIFEST_NAME,
                                     _("it has no “files” list"));
      return;
    }

  files = json_node_get_array (files_node);
  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      JsonNode *node = json_array_get_element (files, i);
      JsonObject *file;
      const char *path;
      const char *sha256;
      gint64 size;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        goto bad_entry;
      file = json_node_get_object (node);
      path = json_object_get_string_member_with_default (file, "path", NULL);
      sha256 = json_object_get_string_member_with_default (file, "sha256", NULL);
      size = json_object_get_int_member_with_default (file, "size", -1);
      if (path == NULL || size < 0 || !osi_sha256_is_hex (sha256))
        goto bad_entry;
      {
        const char *unused;
        char *canonical = NULL;

        if (check_path (path, &canonical, &unused) != OSI_N_FINDINGS)
          goto bad_entry;
        g_ptr_array_add (canonical_paths, canonical);
        path = canonical;
      }

      g_hash_table_insert (listed, (gpointer)path, file);
      if (scan->aborted)
        continue;

      {
        const OsiFileEntry *seen = g_hash_table_lookup (scan->seen, path);

        if (seen == NULL || seen->is_dir)
          osi_verify_report_add_finding (scan->report, OSI_FINDING_MISSING_FILE, path, NULL);
        else if (seen->size != size)
          {
            g_autofree char *expected = g_strdup_printf ("%" G_GINT64_FORMAT, size);
            g_autofree char *found = g_strdup_printf ("%" G_GINT64_FORMAT, seen->size);
            /* Translators: both %s are numbers of bytes */
            g_autofree char *detail = g_strdup_printf (_("%s bytes expected, %s found"), expected, found);
            osi_verify_report_add_finding (scan->report, OSI_FINDING_SIZE_MISMATCH, path, detail);
          }
        else if (seen->sha256 == NULL || g_ascii_strcasecmp (seen->sha256, sha256) != 0)
          osi_verify_report_add_finding (scan->report, OSI_FINDING_CHECKSUM_MISMATCH, path, NULL);
      }
      continue;

    bad_entry:
      {
        g_autofree char *detail = g_strdup_printf (_("entry %u of “files” is not {path, size, sha256}"), i + 1);
        osi_verify_report_add_finding (scan->report, OSI_FINDING_MANIFEST_INVALID, OSI_MANIFEST_NAME, detail);
        return;
      }
    }

  /* Files that were read but are not listed, in archive order. */
  entries = osi_verify_report_get_entries (scan->report);
  for (guint i = 0; i < entries->len; i++)
    {
      const OsiFileEntry *entry = g_ptr_array_index (entries, i);

      if (!entry->is_dir && !g_hash_table_contains (listed, entry->path))
        osi_verify_report_add_finding (scan->report, OSI_FINDING_EXTRA_FILE, entry->path, NULL);
    }
}

static void
scan_finish_rag (Scan *scan)
{
  g_autofree char *message = NULL;
  OsiRagStatus status;

  if (scan->pipe != NULL)
    _osi_archive_pipe_sync_rag (scan->pipe);
  if (!scan->rag_seen)
    {
      if (!scan->aborted)
        osi_verify_report_add_finding (scan->report, OSI_FINDING_RAG_MISSING, OSI_RAG_PATH, NULL);
      return;
    }

  status = osi_rag_validator_finish (scan->rag, &message);
  if (status == OSI_RAG_INVALID_JSON)
    osi_verify_report_add_finding (scan->report, OSI_FINDING_RAG_INVALID_JSON, OSI_RAG_PATH, message);
  else if (status == OSI_RAG_INVALID_SCHEMA)
    osi_verify_report_add_finding (scan->report, OSI_FINDING_RAG_INVALID_SCHEMA, OSI_RAG_PATH, message);
  else
    osi_verify_report_set_rag_entries (scan->report,
                                       (gint64)osi_rag_validator_get_entry_count (scan->rag));
}

/* Streams one regular file's data: hash, RAG check, optional write. */
static void
scan_file_data (Scan                 *scan,
                struct archive_entry *entry,
                const char           *path)
{
  gboolean is_rag = strcmp (path, OSI_RAG_PATH) == 0;
  gint64 written = 0;
  const void *block;
  size_t len;
  la_int64_t offset;
  int fd = -1;
  char sha256[OSI_SHA256_HEX_LEN + 1];
  const OsiFileEntry *seen;

  if (scan->root_fd >= 0 && !scan->write_failed)
    fd = _osi_archive_scan_create_file (scan, path);

  while (scan_next_block (scan, &block, &len, &offset) > 0)
    {
      if (offset > written)
        {
          if (!scan_consume_hole (scan, fd, is_rag, path, offset - written))
            break;
          written = offset;
        }
      if (!scan_consume (scan, fd, is_rag, path, block, len))
        break;
      written += (gint64)len;

      if (!scan_check_limits (scan) || g_cancellable_is_cancelled (scan->cancellable))
        break;
      scan_progress (scan, FALSE);
    }

  /* A sparse entry may end with a hole, which no block covers. */
  if (!scan->aborted && !g_cancellable_is_cancelled (scan->cancellable) &&
      archive_entry_size_is_set (entry) && archive_entry_size (entry) > written &&
      archive_entry_sparse_count (entry) > 0)
    {
      if (scan_consume_hole (scan, fd, is_rag, path, archive_entry_size (entry) - written))
        written = archive_entry_size (entry);
    }

  if (fd >= 0)
    {
      if (!scan->aborted && ftruncate (fd, (off_t)written) < 0)
        _osi_archive_scan_write_failed (scan, path, errno);
      if (!scan->aborted)
        _osi_archive_scan_finish_file (scan, fd, entry, path);
      close (fd);
    }

  if (scan->aborted)
    return;

  if (is_rag)
    scan->rag_seen = TRUE;

  osi_sha256_finish_hex (scan->sha, sha256);
  seen = osi_verify_report_add_entry (scan->report, path, written, sha256, FALSE);
  g_hash_table_insert (scan->seen, seen->path, (gpointer)seen);
}

static gboolean
scan_entry (Scan                 *scan,
            struct archive_entry *entry)
{
  g_autofree char *path = NULL;
  const char *raw = entry_path (entry);
  const char *detail = NULL;
  OsiFindingCode code;
  mode_t type;

  /* Every entry counts, refused ones too: what reading costs grows with
   * the headers read, whatever becomes of them. */
  scan->entries++;
  scan->path_bytes += (raw != NULL ? strlen (raw) : 0) +
                      (archive_entry_hardlink (entry) != NULL ? strlen (archive_entry_hardlink (entry)) : 0) +
                      (archive_entry_symlink (entry) != NULL ? strlen (archive_entry_symlink (entry)) : 0);
  if (scan->entries > scan->limits.max_entries)
    return scan_stop_at_limit (scan, OSI_FINDING_TOO_MANY_ENTRIES,
                               g_strdup_printf ("%" G_GUINT64_FORMAT, scan->limits.max_entries));
  if (scan->path_bytes > scan->limits.max_path_bytes)
    return scan_stop_at_limit (scan, OSI_FINDING_PATHS_TOO_LARGE, g_format_size (scan->limits.max_path_bytes));
  /* Empty entries bring no data block, where the limits are otherwise
   * judged. */
  if (!scan_check_limits (scan))
    return FALSE;

  code = check_path (raw, &path, &detail);
  if (code != OSI_N_FINDINGS)
    {
      osi_verify_report_add_finding (scan->report, code, raw, detail);
      return TRUE;
    }

  type = archive_entry_filetype (entry);

  if (archive_entry_hardlink (entry) != NULL)
    {
      osi_verify_report_add_finding (scan->report, OSI_FINDING_HARDLINK, path,
                                     archive_entry_hardlink (entry));
      return TRUE;
    }
  if (type == AE_IFLNK)
    {
      const char *target = archive_entry_symlink (entry);

      osi_verify_report_add_finding (scan->report, OSI_FINDING_SYMLINK, path,
                                     target != NULL ? target : "");
      return TRUE;
    }
  if (type != AE_IFREG && type != AE_IFDIR)
    {
      const char *kind = type == AE_IFIFO ? _("FIFO")
                       : type == AE_IFCHR ? _("character device")
                       : type == AE_IFBLK ? _("block device")
                       : type == AE_IFSOCK ? _("socket")
                       : _("unknown type");

      osi_verify_report_add_finding (scan->report, OSI_FINDING_SPECIAL_FILE, path, kind);
      return TRUE;
    }

  if (path[0] == '\0')
    return TRUE; /* "./", the archive's root */

  if (g_hash_table_contains (scan->seen, path))
    {
      osi_verify_report_add_finding (scan->report, OSI_FINDING_DUPLICATE_PATH, path, NULL);
      return TRUE;
    }

  if (type == AE_IFDIR)
    {
      const OsiFileEntry *seen = osi_verify_report_add_entry (scan->report, path, 0, NULL, TRUE);

      g_hash_table_insert (scan->seen, seen->path, (gpointer)seen);
      _osi_archive_scan_make_dir (scan, path, archive_entry_perm (entry));
      return !scan->aborted;
    }

  if (strcmp (path, OSI_MANIFEST_NAME) == 0)
    {
      g_hash_table_insert (scan->seen, manifest_seen.path, (gpointer)&manifest_seen);
      if (scan->manifest != NULL)
        return TRUE;
      return read_manifest (scan, path);
    }

  scan_file_data (scan, entry, path);
  return !scan->aborted;
}

static void
scan_set_format (Scan *scan)
{
  const char *base;
  const char *filter;
  int format = archive_format (scan->archive) & ARCHIVE_FORMAT_BASE_MASK;

  base = format == ARCHIVE_FORMAT_ZIP ? "zip" : "tar";
  switch (archive_filter_code (scan->archive, 0))
    {
    case ARCHIVE_FILTER_NONE:
      /* The pipe decompresses zstd before libarchive reads. */
      filter = scan->pipe != NULL ? ".zst" : "";
      break;
    case ARCHIVE_FILTER_ZSTD:
      filter = ".zst";
      break;
    case ARCHIVE_FILTER_GZIP:
      filter = ".gz";
      break;
    default:
      filter = "";
      break;
    }

  {
    g_autofree char *name = g_strconcat (base, filter, NULL);
    osi_verify_report_set_format (scan->report, name);
  }
}

/* A bare knowledge base (older backends): checked as rag/search.json, with
 * no manifest to prove it whole. */
static void
scan_bare_json (Scan *scan,
                int   fd)
{
  gint64 written = 0;

  osi_verify_report_set_format (scan->report, "json");

  for (;;)
    {
      ssize_t n = read (fd, scan->buffer, OSI_ARCHIVE_IO_BLOCK);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          osi_verify_report_add_finding (scan->report, OSI_FINDING_UNREADABLE, NULL, g_strerror (errno));
          scan->aborted = TRUE;
          return;
        }
      if (n == 0)
        break;

      osi_sha256_update (scan->sha, scan->buffer, (gsize)n);
      osi_rag_validator_feed (scan->rag, scan->buffer, (gsize)n);
      if (scan->on_data != NULL)
        scan->on_data (OSI_RAG_PATH, scan->buffer, (gsize)n, scan->on_data_user);
      written += n;
      scan->content_bytes += (guint64)n;
      if (g_cancellable_is_cancelled (scan->cancellable))
        return;
      scan_progress (scan, FALSE);
    }

  scan->rag_seen = TRUE;
  {
    char sha256[OSI_SHA256_HEX_LEN + 1];
    const OsiFileEntry *seen;

    osi_sha256_finish_hex (scan->sha, sha256);
    seen = osi_verify_report_add_entry (scan->report, OSI_RAG_PATH, written, sha256, FALSE);
    g_hash_table_insert (scan->seen, seen->path, (gpointer)seen);
  }
}

/* Reads every entry of the archive open in fd, then checks the manifest
 * against what was read. */
static void
scan_archive (Scan *scan,
              int   fd)
{
  struct archive_entry *entry;
  int r;

  scan->archive = archive_read_new ();
  archive_read_support_filter_zstd (scan->archive);
  archive_read_support_filter_gzip (scan->archive);
  archive_read_support_format_tar (scan->archive);
  archive_read_support_format_gnutar (scan->archive);
  archive_read_support_format_zip (scan->archive);

  if (_osi_archive_pipe_wanted (fd))
    scan->pipe = _osi_archive_pipe_new (fd, scan->rag);
  if (scan->pipe != NULL)
    r = _osi_archive_pipe_open (scan->pipe, scan->archive);
  else
    r = archive_read_open_fd (scan->archive, fd, OSI_ARCHIVE_IO_BLOCK);
  if (r != ARCHIVE_OK)
    {
      scan_stream_error (scan);
      if (scan->pipe != NULL)
        _osi_archive_pipe_stop (scan->pipe);
      return;
    }

  for (;;)
    {
      if (g_cancellable_is_cancelled (scan->cancellable))
        break;

      r = archive_read_next_header (scan->archive, &entry);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          scan_stream_error (scan);
          break;
        }
      if (scan->entries == 0)
        scan_set_format (scan);
      if (!scan_entry (scan, entry))
        break;
    }

  if (!g_cancellable_is_cancelled (scan->cancellable))
    {
      scan_finish_rag (scan);
      if (scan->manifest != NULL)
        {
          osi_verify_report_set_manifest (scan->report, scan->manifest);
          scan_check_manifest (scan);
        }
      else if (!scan->aborted && !osi_verify_report_has_finding (scan->report, OSI_FINDING_MANIFEST_INVALID))
        osi_verify_report_add_finding (scan->report, OSI_FINDING_MANIFEST_MISSING, NULL, NULL);
    }

  /* No thread outlives the scan, nor reads the file once it is closed. */
  if (scan->pipe != NULL)
    _osi_archive_pipe_stop (scan->pipe);
}

/* Reads the archive from request->fd (from its first byte, left open)
 * when it is not -1, else opens the path request->name as
 * osi_open_regular_at () does, following a symlink the user named. The
 * name names it in the report and tells a bare knowledge base by its
 * suffix. Every public way of reading
 * an archive comes here, which checks what they share. */
OsiVerifyReport *
_osi_archive_scan_run (const ScanRequest  *request,
                       const char         *staging_dir,
                       int                *out_write_errno,
                       GCancellable       *cancellable,
                       GError            **error)
{
  g_autoptr(OsiVerifyReport) report = NULL;
  const char *file = request->name;
  struct stat st;
  Scan scan = { 0 };
  LocaleScope locale_scope = { 0 };
  int fd;

  g_return_val_if_fail (file != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  report = osi_verify_report_new (file);
  scan.file = file;
  scan.report = report;
  if (request->limits != NULL)
    scan.limits = *request->limits;
  else
    osi_archive_limits_init (&scan.limits);
  scan.relay = request->relay;
  scan.cancellable = cancellable;
  scan.on_data = request->on_data;
  scan.on_data_user = request->on_data_user;
  scan.seen = g_hash_table_new (g_str_hash, g_str_equal);
  scan.rag = osi_rag_validator_new ();
  scan.sha = osi_sha256_new ();
  scan.buffer = g_malloc (OSI_ARCHIVE_IO_BLOCK);
  scan.root_fd = -1;
  scan.dir_fd = -1;

  if (staging_dir != NULL && !_osi_archive_scan_open_staging (&scan, staging_dir, error))
    {
      scan_clear (&scan);
      return NULL;
    }

  if (request->fd >= 0)
    {
      /* Checked by whoever opened it; checked again, for nothing else is
       * read. dup: this function closes what it reads from. */
      int saved = 0;

      fd = fcntl (request->fd, F_DUPFD_CLOEXEC, 0);
      if (fd < 0 || fstat (fd, &st) < 0 || lseek (fd, 0, SEEK_SET) < 0)
        saved = errno;
      if (saved != 0 || !S_ISREG (st.st_mode))
        {
          osi_verify_report_add_finding (report, OSI_FINDING_UNREADABLE, NULL,
                                         saved != 0 ? g_strerror (saved) : _("it is not a regular file"));
          goto out;
        }
    }
  else
    {
      g_autoptr(GError) open_error = NULL;

      fd = osi_open_regular_at (AT_FDCWD, file, OSI_OPEN_FOLLOW, &st, &open_error);
      if (fd < 0)
        {
          osi_verify_report_add_finding (report, OSI_FINDING_UNREADABLE, NULL, open_error->message);
          goto out;
        }
    }
  scan.file_size = (guint64)st.st_size;
  osi_verify_report_set_totals (report, scan.file_size, 0);

  if (st.st_size == 0)
    {
      osi_verify_report_add_finding (report, OSI_FINDING_EMPTY_FILE, NULL, NULL);
      goto out;
    }

  if (osi_archive_name_is_bare_json (file))
    {
      scan_bare_json (&scan, fd);
      if (!scan.aborted && !g_cancellable_is_cancelled (cancellable))
        {
          scan_finish_rag (&scan);
          osi_verify_report_add_finding (report, OSI_FINDING_MANIFEST_MISSING, NULL, NULL);
          if (scan.root_fd >= 0 && osi_verify_report_get_verdict (report) != OSI_VERDICT_NOT_RESTORABLE)
            _osi_archive_scan_copy_into_staging (&scan, fd);
        }
      goto out;
    }

  _osi_archive_push_utf8_locale (&locale_scope);
  scan_archive (&scan, fd);

out:
  if (fd >= 0)
    close (fd);
  osi_verify_report_set_totals (report, scan.file_size, scan.content_bytes);
  scan_progress (&scan, TRUE);

  _osi_archive_scan_close_staging (&scan);

  if (out_write_errno != NULL)
    *out_write_errno = scan.write_errno;
  scan_clear (&scan);
  _osi_archive_pop_locale (&locale_scope);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  return g_steal_pointer (&report);
}

OsiVerifyReport *
osi_archive_verify (const char              *archive_path,
                    const OsiArchiveLimits  *limits,
                    GCancellable            *cancellable,
                    GError                 **error)
{
  return osi_archive_verify_fd (-1, archive_path, limits, cancellable, error);
}

OsiVerifyReport *
osi_archive_verify_fd (int                      archive_fd,
                       const char              *archive_name,
                       const OsiArchiveLimits  *limits,
                       GCancellable            *cancellable,
                       GError                 **error)
{
  ScanRequest request = { .fd = archive_fd, .name = archive_name, .limits = limits };

  return _osi_archive_scan_run (&request, NULL, NULL, cancellable, error);
}
