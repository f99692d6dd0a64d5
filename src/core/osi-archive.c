/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
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
#include "osi-json.h"
#include "osi-open.h"
#include "osi-progress-relay.h"
#include "osi-rag-validator.h"
#include "osi-sha256.h"

#define IO_BLOCK        (1024 * 1024)
#define PROGRESS_STEP   (4 * 1024 * 1024)
#define WRITEBACK_STEP  (16 * 1024 * 1024)
#define MAX_PATH_BYTES  4096
#define MAX_NAME_BYTES  255

void
osi_archive_limits_init (OsiArchiveLimits *limits)
{
  g_return_if_fail (limits != NULL);

  limits->max_content_bytes = G_GUINT64_CONSTANT (256) << 30;
  /* Real data (JSON text, configuration, embeddings) stays well under
   * 100:1 with zstd; zeros reach 30000:1. So do tar headers of empty
   * files: the ratio also judges the decompressed stream. */
  limits->max_ratio = 1000;
  limits->ratio_grace_bytes = 32 * 1024 * 1024;
  limits->max_manifest_bytes = 32 * 1024 * 1024;
  /* The manifest lists every file with its path: a restorable archive
   * names at most about 32 MiB of file paths, in at most ~350,000 records
   * of ~100 bytes. The folders' names, fewer and shorter than their
   * files', fit in the same again. Each entry read costs ~150 bytes
   * beside its name (the report's entry, the table of paths seen), so
   * these bound that memory near 140 MiB, the time near 2 s. */
  limits->max_path_bytes = 2 * (guint64)limits->max_manifest_bytes;
  limits->max_entries = 500000;
  limits->allow_unproven = FALSE;
}

/* libarchive converts names through the locale's charset; under "C" it
 * cannot convert UTF-8 names at all. Archive work runs with a UTF-8 ctype
 * on its own thread, whatever the program's locale; every other category,
 * messages above all, stays the program's. */
typedef struct
{
  locale_t previous;
  locale_t utf8;
} LocaleScope;

static void
push_utf8_locale (LocaleScope *scope)
{
  locale_t base = duplocale (LC_GLOBAL_LOCALE);

  scope->previous = (locale_t)0;
  scope->utf8 = base != (locale_t)0 ? newlocale (LC_CTYPE_MASK, "C.UTF-8", base) : (locale_t)0;
  if (scope->utf8 != (locale_t)0)
    scope->previous = uselocale (scope->utf8);
  else if (base != (locale_t)0)
    freelocale (base);
}

static void
pop_locale (LocaleScope *scope)
{
  if (scope->utf8 == (locale_t)0)
    return;
  uselocale (scope->previous);
  freelocale (scope->utf8);
  scope->utf8 = (locale_t)0;
}

char *
osi_archive_default_name (GDateTime      *time,
                          OsiCompression  compression)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *stamp = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  utc = g_date_time_to_utc (time);
  stamp = g_date_time_format (utc, "%Y%m%d_%H%M%S");
  return g_strdup_printf ("backup_%s.%s", stamp,
                          compression == OSI_COMPRESSION_GZIP ? "tar.gz" : "tar.zst");
}

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

typedef struct
{
  const char             *file;
  OsiVerifyReport        *report;
  OsiArchiveLimits        limits;
  OsiProgressFunc         progress;
  gpointer                progress_data;
  GCancellable           *cancellable;
  OsiArchiveDataFunc      on_data;
  gpointer                on_data_user;

  struct archive         *archive;
  guint64                 file_size;
  guint64                 content_bytes;
  guint64                 next_progress;
  guint64                 entries;
  guint64                 path_bytes; /* names and link targets, as read */

  /* canonical path → the report's OsiFileEntry, which owns both: each
   * path is stored once, and the table is bounded by max_path_bytes */
  GHashTable             *seen;
  JsonObject             *manifest;
  OsiRagValidator        *rag;
  gboolean                rag_seen;
  OsiSha256              *sha;
  guint8                 *buffer;

  /* extraction only */
  int                     root_fd;    /* -1 when only verifying */
  int                     dir_fd;     /* cached parent of the last file */
  char                   *dir_path;
  mode_t                  umask;      /* the process's */
  gboolean                write_failed;
  int                     write_errno;  /* the first write failure's */

  /* the stream could not be read to its end: completeness is unknowable */
  gboolean                aborted;
} Scan;

static void
scan_clear (Scan *scan)
{
  if (scan->archive != NULL)
    archive_read_free (scan->archive);
  g_clear_pointer (&scan->seen, g_hash_table_unref);
  g_clear_pointer (&scan->manifest, json_object_unref);
  g_clear_pointer (&scan->rag, osi_rag_validator_free);
  g_clear_pointer (&scan->sha, osi_sha256_free);
  g_clear_pointer (&scan->buffer, g_free);
  g_clear_pointer (&scan->dir_path, g_free);
  if (scan->dir_fd >= 0)
    close (scan->dir_fd);
}

static void
scan_progress (Scan *scan,
               gboolean force)
{
  guint64 done;

  if (scan->progress == NULL)
    return;
  done = scan->archive != NULL ? (guint64)archive_filter_bytes (scan->archive, -1) : scan->content_bytes;
  if (!force && done < scan->next_progress)
    return;
  scan->next_progress = done + PROGRESS_STEP;
  scan->progress (MIN (done, scan->file_size), scan->file_size, scan->progress_data);
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
  gboolean at_end = (guint64)archive_filter_bytes (scan->archive, -1) >= scan->file_size;

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

/* Judged after every block and every header so that a bomb is stopped
 * early, be it of data or of headers. */
static gboolean
scan_check_limits (Scan *scan)
{
  guint64 compressed;
  guint64 expanded;
  la_int64_t stream;

  if (scan->content_bytes > scan->limits.max_content_bytes)
    {
      g_autofree char *limit = g_format_size (scan->limits.max_content_bytes);

      osi_verify_report_add_finding (scan->report, OSI_FINDING_TOO_LARGE, NULL, limit);
      scan->aborted = TRUE;
      return FALSE;
    }

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

  compressed = MAX ((guint64)archive_filter_bytes (scan->archive, -1), 1);
  if (expanded / compressed > scan->limits.max_ratio)
    {
      g_autofree char *limit = g_strdup_printf ("%" G_GUINT64_FORMAT, scan->limits.max_ratio);
      /* Translators: %s is a number, the largest ratio allowed */
      g_autofree char *ratio = g_strdup_printf (_("more than %s:1"), limit);

      osi_verify_report_add_finding (scan->report, OSI_FINDING_RATIO_EXCEEDED, NULL, ratio);
      scan->aborted = TRUE;
      return FALSE;
    }

  return TRUE;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len,
           int          *out_errno)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *out_errno = errno;
          return FALSE;
        }
      data += n;
      len -= (gsize)n;
    }
  return TRUE;
}

static void
scan_write_failed (Scan       *scan,
                   const char *path,
                   int         saved_errno)
{
  osi_verify_report_add_finding (scan->report, OSI_FINDING_WRITE_FAILED, path,
                                 g_strerror (saved_errno));
  if (!scan->write_failed)
    scan->write_errno = saved_errno;
  scan->write_failed = TRUE;
  scan->aborted = TRUE;
}

/* The process's umask, read without umask (2), which would change it for
 * every thread for an instant: Linux shows it in /proc/self/status (4.7
 * and later). Where it cannot be read, the narrowest usual one. */
static mode_t
process_umask (void)
{
  g_autofree char *status = NULL;
  const char *field;
  char *end;
  guint64 value;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (field = strstr (status, "\nUmask:")) == NULL)
    return 077;
  field += strlen ("\nUmask:");
  while (*field == ' ' || *field == '\t')
    field++;
  value = g_ascii_strtoull (field, &end, 8);
  if (end == field || value > 0777)
    return 077;
  return (mode_t)value;
}

/* What an extracted file or folder gets: the archive's permissions, never
 * setuid, setgid or sticky, narrowed by the umask, never wider. */
static mode_t
scan_extracted_mode (Scan   *scan,
                     mode_t  archived)
{
  return archived & (S_IRWXU | S_IRWXG | S_IRWXO) & ~scan->umask;
}

/* Opens (creating as needed) the folder that will hold path, inside the
 * staging root, never following a symlink. The last one is cached since
 * archives list a folder's files together. */
static int
scan_open_parent (Scan        *scan,
                  const char  *path,
                  const char **out_leaf)
{
  const char *slash = strrchr (path, '/');
  g_autofree char *dir = slash != NULL ? g_strndup (path, (gsize)(slash - path)) : g_strdup ("");
  g_auto(GStrv) parts = NULL;
  int fd;

  *out_leaf = slash != NULL ? slash + 1 : path;

  if (scan->dir_fd >= 0 && g_strcmp0 (scan->dir_path, dir) == 0)
    return scan->dir_fd;

  if (scan->dir_fd >= 0)
    close (scan->dir_fd);
  scan->dir_fd = -1;
  g_clear_pointer (&scan->dir_path, g_free);

  fd = openat (scan->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;

  parts = g_strsplit (dir, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      int next;

      if (parts[i][0] == '\0')
        continue;
      next = openat (fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0 && errno == ENOENT)
        {
          if (mkdirat (fd, parts[i], 0755) < 0 && errno != EEXIST)
            {
              int saved = errno;
              close (fd);
              errno = saved;
              return -1;
            }
          next = openat (fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (next < 0)
        {
          int saved = errno;
          close (fd);
          errno = saved;
          return -1;
        }
      close (fd);
      fd = next;
    }

  scan->dir_fd = fd;
  scan->dir_path = g_steal_pointer (&dir);
  return fd;
}

static void
scan_make_dir (Scan       *scan,
               const char *path,
               mode_t      archived)
{
  const char *leaf;
  int parent;
  int fd;

  if (scan->root_fd < 0 || scan->write_failed)
    return;

  parent = scan_open_parent (scan, path, &leaf);
  if (parent < 0)
    {
      scan_write_failed (scan, path, errno);
      return;
    }
  if (mkdirat (parent, leaf, 0700) < 0 && errno != EEXIST)
    {
      scan_write_failed (scan, path, errno);
      return;
    }
  /* Made now or earlier as some file's parent: its mode is the archive's
   * either way, and always the owner's to fill and, later, to remove. */
  fd = openat (parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fchmod (fd, scan_extracted_mode (scan, archived) | S_IRWXU) < 0)
    scan_write_failed (scan, path, errno);
  if (fd >= 0)
    close (fd);
}

static int
scan_create_file (Scan       *scan,
                  const char *path)
{
  const char *leaf;
  int parent;
  int fd;

  parent = scan_open_parent (scan, path, &leaf);
  if (parent < 0)
    {
      scan_write_failed (scan, path, errno);
      return -1;
    }
  /* O_EXCL | O_NOFOLLOW: nothing already there is ever written through. */
  fd = openat (parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    scan_write_failed (scan, path, errno);
  return fd;
}

static void
scan_finish_file (Scan                 *scan,
                  int                   fd,
                  struct archive_entry *entry,
                  const char           *path)
{
  struct timespec times[2];

  /* Written as 0600, given its mode once whole. */
  if (fchmod (fd, scan_extracted_mode (scan, archive_entry_perm (entry))) < 0)
    scan_write_failed (scan, path, errno);
  times[0].tv_sec = archive_entry_mtime (entry);
  times[0].tv_nsec = 0;
  times[1] = times[0];
  futimens (fd, times);
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
    osi_rag_validator_feed (scan->rag, data, len);
  if (scan->on_data != NULL)
    scan->on_data (path, data, len, scan->on_data_user);
  if (fd >= 0)
    {
      int saved;

      if (!write_all (fd, data, len, &saved))
        {
          scan_write_failed (scan, path, saved);
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
        osi_rag_validator_feed (scan->rag, zeros, n);
      if (scan->on_data != NULL)
        scan->on_data (path, zeros, n, scan->on_data_user);
      if (fd >= 0 && lseek (fd, (off_t)n, SEEK_CUR) < 0)
        {
          scan_write_failed (scan, path, errno);
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
    fd = scan_create_file (scan, path);

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
        scan_write_failed (scan, path, errno);
      if (!scan->aborted)
        scan_finish_file (scan, fd, entry, path);
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
    {
      g_autofree char *count = g_strdup_printf ("%" G_GUINT64_FORMAT, scan->limits.max_entries);

      osi_verify_report_add_finding (scan->report, OSI_FINDING_TOO_MANY_ENTRIES, NULL, count);
      scan->aborted = TRUE;
      return FALSE;
    }
  if (scan->path_bytes > scan->limits.max_path_bytes)
    {
      g_autofree char *limit = g_format_size (scan->limits.max_path_bytes);

      osi_verify_report_add_finding (scan->report, OSI_FINDING_PATHS_TOO_LARGE, NULL, limit);
      scan->aborted = TRUE;
      return FALSE;
    }
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
      scan_make_dir (scan, path, archive_entry_perm (entry));
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
      ssize_t n = read (fd, scan->buffer, IO_BLOCK);

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

static gboolean
copy_fd_into_staging (Scan *scan,
                      int   src)
{
  int out;

  if (lseek (src, 0, SEEK_SET) < 0)
    return FALSE;
  out = scan_create_file (scan, OSI_RAG_PATH);
  if (out < 0)
    return FALSE;
  for (;;)
    {
      ssize_t n = read (src, scan->buffer, IO_BLOCK);
      int saved;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      if (!write_all (out, scan->buffer, (gsize)n, &saved))
        {
          scan_write_failed (scan, OSI_RAG_PATH, saved);
          break;
        }
    }
  /* A bare knowledge base has no mode of its own: a new file's. */
  if (!scan->write_failed && fchmod (out, scan_extracted_mode (scan, 0644)) < 0)
    scan_write_failed (scan, OSI_RAG_PATH, errno);
  close (out);
  return !scan->write_failed;
}

/* Reads the archive from fd (from its first byte, left open) when it is
 * not -1, else opens the path FILE as osi_open_regular_at () does,
 * following a symlink the user named. FILE names it in the report and
 * tells a bare knowledge base by its suffix. */
static OsiVerifyReport *
scan_run (const char              *file,
          int                      given_fd,
          const char              *staging_dir,
          const OsiArchiveLimits  *limits,
          OsiProgressFunc          progress,
          gpointer                 progress_data,
          OsiArchiveDataFunc       on_data,
          gpointer                 on_data_user,
          int                     *out_write_errno,
          GCancellable            *cancellable,
          GError                 **error)
{
  g_autoptr(OsiVerifyReport) report = osi_verify_report_new (file);
  struct archive_entry *entry;
  struct stat st;
  Scan scan = { 0 };
  LocaleScope locale_scope = { 0 };
  int fd;

  scan.file = file;
  scan.report = report;
  if (limits != NULL)
    scan.limits = *limits;
  else
    osi_archive_limits_init (&scan.limits);
  scan.progress = progress;
  scan.progress_data = progress_data;
  scan.cancellable = cancellable;
  scan.on_data = on_data;
  scan.on_data_user = on_data_user;
  scan.seen = g_hash_table_new (g_str_hash, g_str_equal);
  scan.rag = osi_rag_validator_new ();
  scan.sha = osi_sha256_new ();
  scan.buffer = g_malloc (IO_BLOCK);
  scan.root_fd = -1;
  scan.dir_fd = -1;

  if (staging_dir != NULL)
    {
      scan.umask = process_umask ();
      scan.root_fd = open (staging_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (scan.root_fd < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot open the staging folder “%s”: %s"), staging_dir, g_strerror (saved));
          scan_clear (&scan);
          return NULL;
        }
    }

  if (given_fd >= 0)
    {
      /* Checked by whoever opened it; checked again, for nothing else is
       * read. dup: this function closes what it reads from. */
      int saved = 0;

      fd = fcntl (given_fd, F_DUPFD_CLOEXEC, 0);
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
            copy_fd_into_staging (&scan, fd);
        }
      goto out;
    }

  push_utf8_locale (&locale_scope);
  scan.archive = archive_read_new ();
  archive_read_support_filter_zstd (scan.archive);
  archive_read_support_filter_gzip (scan.archive);
  archive_read_support_format_tar (scan.archive);
  archive_read_support_format_gnutar (scan.archive);
  archive_read_support_format_zip (scan.archive);

  if (archive_read_open_fd (scan.archive, fd, IO_BLOCK) != ARCHIVE_OK)
    {
      scan_stream_error (&scan);
      goto out;
    }

  for (;;)
    {
      int r;

      if (g_cancellable_is_cancelled (cancellable))
        break;

      r = archive_read_next_header (scan.archive, &entry);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          scan_stream_error (&scan);
          break;
        }
      if (scan.entries == 0)
        scan_set_format (&scan);
      if (!scan_entry (&scan, entry))
        break;
    }

  if (!g_cancellable_is_cancelled (cancellable))
    {
      scan_finish_rag (&scan);
      if (scan.manifest != NULL)
        {
          osi_verify_report_set_manifest (report, scan.manifest);
          scan_check_manifest (&scan);
        }
      else if (!scan.aborted && !osi_verify_report_has_finding (report, OSI_FINDING_MANIFEST_INVALID))
        osi_verify_report_add_finding (report, OSI_FINDING_MANIFEST_MISSING, NULL, NULL);
    }

out:
  if (fd >= 0)
    close (fd);
  osi_verify_report_set_totals (report, scan.file_size, scan.content_bytes);
  scan_progress (&scan, TRUE);

  if (scan.root_fd >= 0)
    {
      /* One syncfs for the whole tree rather than an fsync per file. */
      if (osi_verify_report_get_verdict (report) != OSI_VERDICT_NOT_RESTORABLE &&
          syncfs (scan.root_fd) < 0)
        scan_write_failed (&scan, NULL, errno);
      close (scan.root_fd);
    }

  if (out_write_errno != NULL)
    *out_write_errno = scan.write_errno;
  scan_clear (&scan);
  pop_locale (&locale_scope);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  return g_steal_pointer (&report);
}

gboolean
osi_archive_name_is_bare_json (const char *name)
{
  gsize len;

  g_return_val_if_fail (name != NULL, FALSE);

  len = strlen (name);
  return len >= 5 && g_ascii_strcasecmp (name + len - 5, ".json") == 0;
}

OsiVerifyReport *
osi_archive_verify (const char              *archive_path,
                    const OsiArchiveLimits  *limits,
                    OsiProgressFunc          progress,
                    gpointer                 progress_data,
                    GCancellable            *cancellable,
                    GError                 **error)
{
  g_return_val_if_fail (archive_path != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  return scan_run (archive_path, -1, NULL, limits, progress, progress_data, NULL, NULL, NULL, cancellable, error);
}

OsiVerifyReport *
osi_archive_verify_fd (int                      archive_fd,
                       const char              *archive_name,
                       const OsiArchiveLimits  *limits,
                       OsiProgressFunc          progress,
                       gpointer                 progress_data,
                       GCancellable            *cancellable,
                       GError                 **error)
{
  g_return_val_if_fail (archive_fd >= 0, NULL);
  g_return_val_if_fail (archive_name != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  return scan_run (archive_name, archive_fd, NULL, limits, progress, progress_data, NULL, NULL, NULL, cancellable,
                   error);
}

OsiVerifyReport *
osi_archive_verify_reading_fd (int                      archive_fd,
                               const char              *archive_name,
                               const OsiArchiveLimits  *limits,
                               OsiArchiveDataFunc       on_data,
                               gpointer                 user_data,
                               GCancellable            *cancellable,
                               GError                 **error)
{
  g_return_val_if_fail (archive_fd >= 0, NULL);
  g_return_val_if_fail (archive_name != NULL, NULL);
  g_return_val_if_fail (on_data != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  return scan_run (archive_name, archive_fd, NULL, limits, NULL, NULL, on_data, user_data, NULL, cancellable, error);
}

OsiVerifyReport *
osi_archive_verify_reading (const char              *archive_path,
                            const OsiArchiveLimits  *limits,
                            OsiArchiveDataFunc       on_data,
                            gpointer                 user_data,
                            GCancellable            *cancellable,
                            GError                 **error)
{
  g_return_val_if_fail (archive_path != NULL, NULL);
  g_return_val_if_fail (on_data != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  return scan_run (archive_path, -1, NULL, limits, NULL, NULL, on_data, user_data, NULL, cancellable, error);
}

/* From archive_fd when it is not -1, else from archive_path. */
static gboolean
extract (const char              *archive_path,
         int                      archive_fd,
         const char              *staging_dir,
         const OsiArchiveLimits  *limits,
         OsiVerifyReport        **out_report,
         OsiProgressFunc          progress,
         gpointer                 progress_data,
         GCancellable            *cancellable,
         GError                 **error)
{
  g_autoptr(OsiVerifyReport) report = NULL;
  OsiVerdict verdict;
  int write_errno = 0;

  report = scan_run (archive_path, archive_fd, staging_dir, limits, progress, progress_data, NULL, NULL,
                     &write_errno, cancellable, error);
  if (report == NULL)
    return FALSE;

  verdict = osi_verify_report_get_verdict (report);
  if (out_report != NULL)
    *out_report = g_object_ref (report);

  if (verdict == OSI_VERDICT_UNPROVEN && !(limits != NULL && limits->allow_unproven))
    {
      g_set_error (error, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED,
                   _("The backup has no manifest: its integrity cannot be proven, so it was not restored."));
      return FALSE;
    }

  if (verdict == OSI_VERDICT_NOT_RESTORABLE)
    {
      GPtrArray *findings = osi_verify_report_get_findings (report);
      const OsiFinding *first = g_ptr_array_index (findings, 0);

      /* Not the archive's fault: what the disk said, so that a full one
       * reads as such (a server's 507). */
      if (write_errno == ENOSPC || write_errno == EDQUOT)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "%s",
                     _("Not enough disk space beside the data folder to restore the backup: free some space "
                       "and try again. Nothing was changed."));
      else if (osi_verify_report_has_finding (report, OSI_FINDING_WRITE_FAILED))
        g_set_error (error, G_IO_ERROR, write_errno != 0 ? g_io_error_from_errno (write_errno) : G_IO_ERROR_FAILED,
                     "%s", first->message);
      else
        g_set_error (error, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED,
                     _("The backup failed verification and was not restored: %s"),
                     first->message);
      return FALSE;
    }

  return TRUE;
}

gboolean
osi_archive_extract (const char              *archive_path,
                     const char              *staging_dir,
                     const OsiArchiveLimits  *limits,
                     OsiVerifyReport        **out_report,
                     OsiProgressFunc          progress,
                     gpointer                 progress_data,
                     GCancellable            *cancellable,
                     GError                 **error)
{
  g_return_val_if_fail (archive_path != NULL, FALSE);
  g_return_val_if_fail (staging_dir != NULL, FALSE);
  g_return_val_if_fail (!error || !*error, FALSE);

  return extract (archive_path, -1, staging_dir, limits, out_report, progress, progress_data, cancellable,
                  error);
}

gboolean
osi_archive_extract_fd (int                      archive_fd,
                        const char              *archive_name,
                        const char              *staging_dir,
                        const OsiArchiveLimits  *limits,
                        OsiVerifyReport        **out_report,
                        OsiProgressFunc          progress,
                        gpointer                 progress_data,
                        GCancellable            *cancellable,
                        GError                 **error)
{
  g_return_val_if_fail (archive_fd >= 0, FALSE);
  g_return_val_if_fail (archive_name != NULL, FALSE);
  g_return_val_if_fail (staging_dir != NULL, FALSE);
  g_return_val_if_fail (!error || !*error, FALSE);

  return extract (archive_name, archive_fd, staging_dir, limits, out_report, progress, progress_data,
                  cancellable, error);
}

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
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  DIR *dir;
  struct dirent *de;
  int dup_fd = dup (dir_fd);

  if (dup_fd < 0 || (dir = fdopendir (dup_fd)) == NULL)
    {
      int saved = errno;
      if (dup_fd >= 0)
        close (dup_fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot read the folder “%s”: %s"), *prefix ? prefix : ".", g_strerror (saved));
      return FALSE;
    }
  while ((de = readdir (dir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      g_ptr_array_add (names, g_strdup (de->d_name));
  closedir (dir);
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

  if (!write_all (sink->fd, buffer, length, &saved))
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
                 OsiProgressFunc   progress,
                 gpointer          progress_data,
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
      ssize_t n = read (fd, buffer, (gsize)MIN (left, (gint64)IO_BLOCK));

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
      if (progress != NULL && *done >= *next_progress)
        {
          *next_progress = *done + PROGRESS_STEP;
          progress (*done, total, progress_data);
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

gboolean
osi_archive_create (const char      *data_dir,
                    const char      *archive_path,
                    OsiCompression   compression,
                    int              level,
                    OsiProgressFunc  progress,
                    gpointer         progress_data,
                    char           **out_sha256,
                    GCancellable    *cancellable,
                    GError         **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (item_free);
  g_autoptr(GPtrArray) digests = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OsiSha256) sha = osi_sha256_new ();
  g_autoptr(OsiRagValidator) rag = NULL;
  g_autofree guint8 *buffer = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *manifest = NULL;
  g_autofree char *option = NULL;
  struct archive *a = NULL;
  guint64 total = 0;
  guint64 done = 0;
  guint64 next_progress = 0;
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
  push_utf8_locale (&locale_scope);

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
  if (compression == OSI_COMPRESSION_GZIP)
    {
      archive_write_add_filter_gzip (a);
      option = g_strdup_printf ("gzip:compression-level=%d", level > 0 ? level : 6);
    }
  else
    {
      option = g_strdup ("");
      if (!sink_init_zstd (&sink, level > 0 ? level : 3))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot start the zstd compressor."));
          goto out;
        }
    }
  archive_write_set_format_pax_restricted (a);
  /* 64 KiB handed to the compressor at a time rather than 10 KiB: a sixth
   * of the calls. No padding of the last block: nothing reads these from
   * tape. */
  archive_write_set_bytes_per_block (a, 64 * 1024);
  archive_write_set_bytes_in_last_block (a, 1);
  if (archive_write_set_options (a, option) < ARCHIVE_WARN ||
      archive_write_open2 (a, &sink, NULL, sink_write, sink_close, NULL) != ARCHIVE_OK)
    {
      set_archive_error (a, &sink, error);
      goto out;
    }

  buffer = g_malloc (IO_BLOCK);
  for (guint i = 0; i < items->len; i++)
    {
      const Item *item = g_ptr_array_index (items, i);
      g_autoptr(OsiSha256) file_sha = NULL;
      char hex[OSI_SHA256_HEX_LEN + 1];
      gboolean is_rag;

      if (!write_entry_header (a, item, item->path, item->size, &sink, error))
        goto out;
      if (item->is_dir)
        continue;

      is_rag = strcmp (item->path, OSI_RAG_PATH) == 0;
      if (is_rag)
        rag = osi_rag_validator_new ();
      file_sha = osi_sha256_new ();
      if (!write_file_data (a, root_fd, item, buffer, file_sha, is_rag ? rag : NULL, &sink, hex,
                            &done, total, &next_progress, progress, progress_data,
                            cancellable, error))
        goto out;
      g_ptr_array_add (digests, g_strdup (hex));
      if (is_rag)
        {
          g_autofree char *message = NULL;

          if (osi_rag_validator_finish (rag, &message) == OSI_RAG_OK)
            rag_entries = (gint64)osi_rag_validator_get_entry_count (rag);
          else
            g_message ("The knowledge base being backed up is not valid: %s", message);
        }
    }

  /* Last, so that the archive is written in one pass; readers look for it
   * anywhere. */
  manifest = build_manifest (items, digests, rag_entries);
  {
    Item manifest_item = { (char *)OSI_MANIFEST_NAME, 0, 0, 0644, FALSE };
    gsize len = strlen (manifest);
    GDateTime *now = g_date_time_new_now_utc ();

    manifest_item.mtime = g_date_time_to_unix (now);
    g_date_time_unref (now);
    if (!write_entry_header (a, &manifest_item, OSI_MANIFEST_NAME, (gint64)len, &sink, error))
      goto out;
    if (archive_write_data (a, manifest, len) < 0)
      {
        set_archive_error (a, &sink, error);
        goto out;
      }
  }

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

  /* Never replace an existing backup of the same name. */
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
          goto out;
        }
    }
  g_clear_pointer (&tmp_path, g_free);

  if (!sync_parent (archive_path, error))
    goto out;

  if (progress != NULL)
    progress (total, total, progress_data);
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
  pop_locale (&locale_scope);
  if (sink.fd >= 0)
    close (sink.fd);
  if (tmp_path != NULL)
    g_unlink (tmp_path);
  close (root_fd);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Asynchronous variants                                                    */

typedef struct
{
  char              *archive_path;
  char              *other_path;  /* data dir or staging dir */
  OsiArchiveLimits   limits;
  OsiCompression     compression;
  int                level;
  OsiProgressRelay  *relay;
  OsiVerifyReport   *report;
  char              *sha256;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->archive_path);
  g_free (job->other_path);
  g_clear_object (&job->report);
  g_free (job->sha256);
  g_clear_pointer (&job->relay, osi_progress_relay_unref);
  g_free (job);
}

static Job *
job_new (GTask                  *task,
         const char             *archive_path,
         const char             *other_path,
         const OsiArchiveLimits *limits,
         OsiProgressFunc         progress,
         gpointer                progress_data)
{
  Job *job = g_new0 (Job, 1);

  job->archive_path = g_strdup (archive_path);
  job->other_path = g_strdup (other_path);
  if (limits != NULL)
    job->limits = *limits;
  else
    osi_archive_limits_init (&job->limits);
  if (progress != NULL)
    job->relay = osi_progress_relay_new (progress, progress_data);
  g_task_set_task_data (task, job, job_free);
  return job;
}

#define JOB_PROGRESS(job) ((job)->relay != NULL ? osi_progress_relay_report : NULL)

static void
create_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;

  if (osi_archive_create (job->other_path, job->archive_path, job->compression, job->level,
                          JOB_PROGRESS (job), job->relay, &job->sha256, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
osi_archive_create_async (const char          *data_dir,
                          const char          *archive_path,
                          OsiCompression       compression,
                          int                  level,
                          OsiProgressFunc      progress,
                          gpointer             progress_data,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (data_dir != NULL);
  g_return_if_fail (archive_path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_archive_create_async);
  job = job_new (task, archive_path, data_dir, NULL, progress, progress_data);
  job->compression = compression;
  job->level = level;
  g_task_run_in_thread (task, create_thread);
}

gboolean
osi_archive_create_finish (GAsyncResult  *result,
                           char         **out_sha256,
                           GError       **error)
{
  Job *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_archive_create_async, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  job = g_task_get_task_data (G_TASK (result));
  if (out_sha256 != NULL)
    *out_sha256 = g_strdup (job->sha256);
  return TRUE;
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  OsiVerifyReport *report;

  report = osi_archive_verify (job->archive_path, &job->limits, JOB_PROGRESS (job), job->relay,
                               cancellable, &error);
  if (report != NULL)
    g_task_return_pointer (task, report, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
osi_archive_verify_async (const char              *archive_path,
                          const OsiArchiveLimits  *limits,
                          OsiProgressFunc          progress,
                          gpointer                 progress_data,
                          GCancellable            *cancellable,
                          GAsyncReadyCallback      callback,
                          gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (archive_path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_archive_verify_async);
  job_new (task, archive_path, NULL, limits, progress, progress_data);
  g_task_run_in_thread (task, verify_thread);
}

OsiVerifyReport *
osi_archive_verify_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_archive_verify_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
extract_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;

  if (osi_archive_extract (job->archive_path, job->other_path, &job->limits, &job->report,
                           JOB_PROGRESS (job), job->relay, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
osi_archive_extract_async (const char              *archive_path,
                           const char              *staging_dir,
                           const OsiArchiveLimits  *limits,
                           OsiProgressFunc          progress,
                           gpointer                 progress_data,
                           GCancellable            *cancellable,
                           GAsyncReadyCallback      callback,
                           gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (archive_path != NULL);
  g_return_if_fail (staging_dir != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_archive_extract_async);
  job_new (task, archive_path, staging_dir, limits, progress, progress_data);
  g_task_run_in_thread (task, extract_thread);
}

gboolean
osi_archive_extract_finish (GAsyncResult     *result,
                            OsiVerifyReport **out_report,
                            GError          **error)
{
  Job *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_archive_extract_async, FALSE);

  job = g_task_get_task_data (G_TASK (result));
  if (out_report != NULL)
    *out_report = job->report != NULL ? g_object_ref (job->report) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}
