/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-check-history"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-check-history.h"
#include "osi-search.h"

/* Older checks are forgotten past this many files. */
#define MAX_RECORDS 50

struct _OsiCheckHistory
{
  GObject  parent_instance;

  char    *path;
};

G_DEFINE_FINAL_TYPE (OsiCheckHistory, osi_check_history, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A record of a download not yet checked. */
#define VERDICT_NONE "downloaded"

static const OsiVerdict verdicts[] = {
  OSI_VERDICT_RESTORABLE, OSI_VERDICT_UNPROVEN, OSI_VERDICT_NOT_RESTORABLE,
};

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

/* Paths may hold what a group name cannot ("[", "]", newlines): the group
 * is named after the path's digest and the path is a key. */
static char *
group_for (const char *file)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, file, -1);

  return g_strconcat ("file-", digest, NULL);
}

static gboolean
verdict_from_string (const char *text,
                     OsiVerdict *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (verdicts); i++)
    if (g_strcmp0 (text, osi_verdict_to_string (verdicts[i])) == 0)
      {
        *out = verdicts[i];
        return TRUE;
      }
  return FALSE;
}

static gboolean
stat_file (const char *file,
           gint64     *size,
           gint64     *mtime)
{
  GStatBuf st;

  if (g_stat (file, &st) != 0)
    return FALSE;
  *size = (gint64)st.st_size;
  *mtime = (gint64)st.st_mtime;
  return TRUE;
}

/* A missing, unreadable or damaged file is an empty history: the user
 * loses old checks, never the application. */
static GKeyFile *
load (OsiCheckHistory *self)
{
  GKeyFile *keys = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  if (!g_key_file_load_from_file (keys, self->path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_debug ("ignoring %s: %s", self->path, error->message);
      g_key_file_unref (keys);
      keys = g_key_file_new ();
    }
  return keys;
}

/* NULL for a group that is not a complete record. */
static OsiCheckRecord *
read_record (GKeyFile   *keys,
             const char *group)
{
  g_autoptr(OsiCheckRecord) record = g_new0 (OsiCheckRecord, 1);
  g_autofree char *verdict = NULL;
  g_autofree char *checked = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GError) error = NULL;
  gint64 size, mtime;

  g_autofree char *downloaded = NULL;
  g_autoptr(GDateTime) downloaded_date = NULL;

  record->path = g_key_file_get_string (keys, group, "path", NULL);
  verdict = g_key_file_get_string (keys, group, "verdict", NULL);
  checked = g_key_file_get_string (keys, group, "checked", NULL);
  record->size = g_key_file_get_int64 (keys, group, "size", &error);
  if (error == NULL)
    record->mtime = g_key_file_get_int64 (keys, group, "mtime", &error);
  if (error != NULL || record->path == NULL || !g_path_is_absolute (record->path) ||
      checked == NULL || (date = g_date_time_new_from_iso8601 (checked, NULL)) == NULL)
    return NULL;
  if (g_strcmp0 (verdict, VERDICT_NONE) == 0)
    record->never_checked = TRUE;
  else if (!verdict_from_string (verdict, &record->verdict))
    return NULL;
  record->checked = g_date_time_to_unix (date);
  record->downloaded_sha256 = g_key_file_get_string (keys, group, "downloaded-sha256", NULL);
  downloaded = g_key_file_get_string (keys, group, "downloaded", NULL);
  if (record->downloaded_sha256 != NULL &&
      (strlen (record->downloaded_sha256) != 64 || downloaded == NULL ||
       (downloaded_date = g_date_time_new_from_iso8601 (downloaded, NULL)) == NULL))
    g_clear_pointer (&record->downloaded_sha256, g_free);
  if (record->downloaded_sha256 != NULL)
    record->downloaded = g_date_time_to_unix (downloaded_date);
  record->modified = !stat_file (record->path, &size, &mtime) || size != record->size || mtime != record->mtime;
  return g_steal_pointer (&record);
}

static void
write_record (GKeyFile             *keys,
              const OsiCheckRecord *record)
{
  g_autofree char *group = group_for (record->path);
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (record->checked);
  g_autofree char *checked = g_date_time_format_iso8601 (date);

  g_key_file_set_string (keys, group, "path", record->path);
  g_key_file_set_int64 (keys, group, "size", record->size);
  g_key_file_set_int64 (keys, group, "mtime", record->mtime);
  g_key_file_set_string (keys, group, "verdict",
                         record->never_checked ? VERDICT_NONE : osi_verdict_to_string (record->verdict));
  g_key_file_set_string (keys, group, "checked", checked);
  if (record->downloaded_sha256 != NULL)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (record->downloaded);
      g_autofree char *text = g_date_time_format_iso8601 (when);

      g_key_file_set_string (keys, group, "downloaded-sha256", record->downloaded_sha256);
      g_key_file_set_string (keys, group, "downloaded", text);
    }
}

static int
newest_first (gconstpointer a,
              gconstpointer b)
{
  const OsiCheckRecord *ra = *(OsiCheckRecord * const *)a;
  const OsiCheckRecord *rb = *(OsiCheckRecord * const *)b;

  if (ra->checked != rb->checked)
    return ra->checked > rb->checked ? -1 : 1;
  return g_strcmp0 (ra->path, rb->path);
}

static GPtrArray *
read_records (GKeyFile *keys)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_check_record_free);
  g_auto(GStrv) groups = g_key_file_get_groups (keys, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      OsiCheckRecord *record = read_record (keys, groups[i]);
      g_autofree char *expected = record != NULL ? group_for (record->path) : NULL;

      /* A group whose name does not match its path was not written here. */
      if (record != NULL && g_str_equal (expected, groups[i]))
        g_ptr_array_add (records, record);
      else
        g_clear_pointer (&record, osi_check_record_free);
    }
  g_ptr_array_sort (records, newest_first);
  return records;
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
osi_check_history_finalize (GObject *object)
{
  OsiCheckHistory *self = OSI_CHECK_HISTORY (object);

  g_free (self->path);

  G_OBJECT_CLASS (osi_check_history_parent_class)->finalize (object);
}

static void
osi_check_history_class_init (OsiCheckHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = osi_check_history_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                   NULL, G_TYPE_NONE, 0);
}

static void
osi_check_history_init (OsiCheckHistory *self)
{
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

void
osi_check_record_free (OsiCheckRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->path);
  g_free (record->downloaded_sha256);
  g_free (record);
}

char *
osi_check_record_describe (const OsiCheckRecord *record)
{
  g_autoptr(GDateTime) date = NULL;
  g_autofree char *when = NULL;

  g_return_val_if_fail (record != NULL, NULL);

  date = g_date_time_new_from_unix_utc (record->checked);
  when = osi_format_date (date);
  if (record->never_checked)
    /* TRANSLATORS: a date (DD/MM/YYYY HH:MM) */
    return g_strdup_printf (record->modified ? _("Downloaded on %s, not checked yet (file modified since)")
                                             : _("Downloaded on %s, not checked yet"),
                            when);
  if (record->modified)
    /* TRANSLATORS: a date (DD/MM/YYYY HH:MM), then a verdict ("restorable") */
    return g_strdup_printf (_("Last check: %s — %s (file modified since)"), when,
                            osi_verdict_describe (record->verdict));
  /* TRANSLATORS: a date (DD/MM/YYYY HH:MM), then a verdict ("restorable") */
  return g_strdup_printf (_("Last check: %s — %s"), when, osi_verdict_describe (record->verdict));
}

OsiCheckHistory *
osi_check_history_new (const char *path)
{
  OsiCheckHistory *self = g_object_new (OSI_TYPE_CHECK_HISTORY, NULL);

  self->path = path != NULL ? g_strdup (path)
                            : g_build_filename (g_get_user_data_dir (), "osi-backup", "checks.ini", NULL);
  return self;
}

const char *
osi_check_history_get_path (OsiCheckHistory *self)
{
  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (self), NULL);

  return self->path;
}

/* Writes record in place of the file's former one, keeping the newest
 * others; the key file is replaced atomically. A download's SHA-256 stays
 * with the file while it keeps its size and mtime. */
static gboolean
store (OsiCheckHistory  *self,
       OsiCheckRecord   *record,
       GError          **error)
{
  g_autoptr(GKeyFile) keys = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *group = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *data = NULL;
  gsize len;

  /* Rewritten from what is valid in the file now, so that two windows do
   * not undo each other's records, and a damaged file heals. */
  keys = load (self);
  records = read_records (keys);
  g_key_file_unref (g_steal_pointer (&keys));
  keys = g_key_file_new ();
  group = group_for (record->path);
  for (guint i = 0; i < records->len; i++)
    {
      OsiCheckRecord *former = g_ptr_array_index (records, i);
      g_autofree char *other = group_for (former->path);

      if (g_str_equal (other, group) && record->downloaded_sha256 == NULL && former->downloaded_sha256 != NULL &&
          former->size == record->size && former->mtime == record->mtime)
        {
          record->downloaded_sha256 = g_strdup (former->downloaded_sha256);
          record->downloaded = former->downloaded;
        }
    }
  write_record (keys, record);
  for (guint i = 0, kept = 1; i < records->len && kept < MAX_RECORDS; i++)
    {
      OsiCheckRecord *former = g_ptr_array_index (records, i);
      g_autofree char *other = group_for (former->path);

      if (g_str_equal (other, group))
        continue;
      write_record (keys, former);
      kept++;
    }

  folder = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), _("Cannot create the folder %s: %s"),
                   folder, g_strerror (saved_errno));
      return FALSE;
    }
  data = g_key_file_to_data (keys, &len, NULL);
  /* g_file_set_contents writes a temporary file and renames it. */
  if (!g_file_set_contents_full (self->path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

/* A new record of file as it is now, or NULL with error set. */
static OsiCheckRecord *
record_new (const char  *file,
            GError     **error)
{
  g_autoptr(OsiCheckRecord) record = g_new0 (OsiCheckRecord, 1);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (!g_utf8_validate (file, -1, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   _("The checks of files whose name is not UTF-8 are not remembered."));
      return NULL;
    }
  if (!stat_file (file, &record->size, &record->mtime))
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), _("Cannot read %s: %s"), file,
                   g_strerror (saved_errno));
      return NULL;
    }
  record->path = g_strdup (file);
  record->checked = g_date_time_to_unix (now);
  return g_steal_pointer (&record);
}

gboolean
osi_check_history_record (OsiCheckHistory  *self,
                          const char       *file,
                          OsiVerdict        verdict,
                          GError          **error)
{
  g_autoptr(OsiCheckRecord) record = NULL;

  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (self), FALSE);
  g_return_val_if_fail (file != NULL && g_path_is_absolute (file), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((record = record_new (file, error)) == NULL)
    return FALSE;
  record->verdict = verdict;
  return store (self, record, error);
}

gboolean
osi_check_history_record_download (OsiCheckHistory  *self,
                                   const char       *file,
                                   const char       *sha256,
                                   GError          **error)
{
  g_autoptr(OsiCheckRecord) record = NULL;

  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (self), FALSE);
  g_return_val_if_fail (file != NULL && g_path_is_absolute (file), FALSE);
  g_return_val_if_fail (sha256 != NULL && strlen (sha256) == 64, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((record = record_new (file, error)) == NULL)
    return FALSE;
  record->never_checked = TRUE;
  record->downloaded_sha256 = g_ascii_strdown (sha256, -1);
  record->downloaded = record->checked;
  return store (self, record, error);
}

OsiCheckRecord *
osi_check_history_lookup (OsiCheckHistory *self,
                          const char      *file)
{
  g_autoptr(GKeyFile) keys = NULL;
  g_autofree char *group = NULL;
  OsiCheckRecord *record;

  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (self), NULL);
  g_return_val_if_fail (file != NULL, NULL);

  keys = load (self);
  group = group_for (file);
  if (!g_key_file_has_group (keys, group))
    return NULL;
  record = read_record (keys, group);
  if (record != NULL && g_strcmp0 (record->path, file) != 0)
    g_clear_pointer (&record, osi_check_record_free);
  return record;
}

GPtrArray *
osi_check_history_list (OsiCheckHistory *self)
{
  g_autoptr(GKeyFile) keys = NULL;

  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (self), NULL);

  keys = load (self);
  return read_records (keys);
}
