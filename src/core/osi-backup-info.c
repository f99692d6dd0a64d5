/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-backup-info-private.h"
#include "osi-error.h"
#include "osi-search.h"

#define SHA256_HEX_LEN 64
/* Longest name echoed back in an error message. */
#define MAX_NAME_IN_MESSAGE 64

struct _OsiBackupInfo
{
  GObject       parent_instance;

  char         *name;
  GDateTime    *date;
  gint64        size;
  char         *sha256;

  /* Filled in constructed(): the matcher reads it for every item on every
   * keystroke, and the object is immutable, so it never goes stale. */
  OsiLocalDate  local_date;

  /* Filled lazily, at most once, with a compare-and-exchange so that
   * concurrent readers never leak or free each other's string. */
  char         *display_date;
  char         *folded_name;
};

G_DEFINE_FINAL_TYPE (OsiBackupInfo, osi_backup_info, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_DATE,
  PROP_SIZE,
  PROP_SHA256,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_sha256_hex (const char *text)
{
  gsize i;

  for (i = 0; i < SHA256_HEX_LEN; i++)
    {
      if (!g_ascii_isxdigit (text[i]))
        return FALSE;
    }

  return text[SHA256_HEX_LEN] == '\0';
}

/* A name as it may appear in an error message: valid UTF-8, bounded length. */
static char *
printable_name (const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name, -1);
  g_autofree char *head = NULL;

  if (g_utf8_strlen (valid, -1) <= MAX_NAME_IN_MESSAGE)
    return g_steal_pointer (&valid);

  head = g_utf8_substring (valid, 0, MAX_NAME_IN_MESSAGE);

  return g_strconcat (head, "…", NULL);
}

static char *
fold_name (gconstpointer name)
{
  return osi_search_fold (name);
}

static char *
format_date (gconstpointer date)
{
  return osi_format_date ((GDateTime *) date);
}

static char *
ensure_cached_string (char          **slot,
                      gconstpointer   source,
                      char         *(*compute) (gconstpointer))
{
  char *value = g_atomic_pointer_get (slot);

  if (G_LIKELY (value != NULL))
    return value;

  value = compute (source);
  if (!g_atomic_pointer_compare_and_exchange (slot, NULL, value))
    {
      g_free (value);
      value = g_atomic_pointer_get (slot);
    }

  return value;
}

static GTimeZone *
local_time_zone (void)
{
  static GTimeZone *local = NULL;
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      local = g_time_zone_new_local ();
      g_once_init_leave (&initialized, 1);
    }
  return local;
}

static void
osi_backup_info_constructed (GObject *object)
{
  OsiBackupInfo *self = OSI_BACKUP_INFO (object);
  g_autoptr(GDateTime) local = NULL;

  G_OBJECT_CLASS (osi_backup_info_parent_class)->constructed (object);

  /* g_object_new() without a date still gives a usable object. */
  if (self->date == NULL)
    self->date = g_date_time_new_from_unix_utc (0);
  if (self->name == NULL)
    self->name = g_strdup ("");

  /* One local time zone for the process: g_date_time_to_local () loads it
   * again for every call, which was most of the time of parsing a list of
   * 10,000 backups. */
  local = g_date_time_to_timezone (self->date, local_time_zone ());
  g_date_time_get_ymd (local,
                       &self->local_date.year,
                       &self->local_date.month,
                       &self->local_date.day);
  self->local_date.hour = g_date_time_get_hour (local);
  self->local_date.minute = g_date_time_get_minute (local);
}

static void
osi_backup_info_finalize (GObject *object)
{
  OsiBackupInfo *self = OSI_BACKUP_INFO (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->date, g_date_time_unref);
  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->display_date, g_free);
  g_clear_pointer (&self->folded_name, g_free);

  G_OBJECT_CLASS (osi_backup_info_parent_class)->finalize (object);
}

static void
osi_backup_info_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  OsiBackupInfo *self = OSI_BACKUP_INFO (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_DATE:
      g_value_set_boxed (value, self->date);
      break;

    case PROP_SIZE:
      g_value_set_int64 (value, self->size);
      break;

    case PROP_SHA256:
      g_value_set_string (value, self->sha256);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_backup_info_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  OsiBackupInfo *self = OSI_BACKUP_INFO (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      break;

    case PROP_DATE:
      g_clear_pointer (&self->date, g_date_time_unref);
      self->date = g_value_dup_boxed (value);
      break;

    case PROP_SIZE:
      self->size = g_value_get_int64 (value);
      break;

    case PROP_SHA256:
      {
        const char *sha256 = g_value_get_string (value);

        g_free (self->sha256);
        /* Lowercase so that comparisons with computed digests are plain strcmp(). */
        self->sha256 = sha256 != NULL ? g_ascii_strdown (sha256, -1) : NULL;
      }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_backup_info_class_init (OsiBackupInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = osi_backup_info_constructed;
  object_class->finalize = osi_backup_info_finalize;
  object_class->get_property = osi_backup_info_get_property;
  object_class->set_property = osi_backup_info_set_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_DATE] =
    g_param_spec_boxed ("date", NULL, NULL,
                        G_TYPE_DATE_TIME,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_SIZE] =
    g_param_spec_int64 ("size", NULL, NULL,
                        -1, G_MAXINT64, -1,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_SHA256] =
    g_param_spec_string ("sha256", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osi_backup_info_init (OsiBackupInfo *self)
{
  self->size = -1;
}

const OsiLocalDate *
_osi_backup_info_get_local_date (OsiBackupInfo *self)
{
  g_assert (OSI_IS_BACKUP_INFO (self));

  return &self->local_date;
}

gboolean
osi_backup_name_is_valid (const char *name)
{
  gsize len;

  if (name == NULL || !g_ascii_isalnum (name[0]))
    return FALSE;

  for (len = 1; name[len] != '\0'; len++)
    {
      char c = name[len];

      /* One leading character plus at most 200 more. */
      if (len > 200)
        return FALSE;

      if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
        return FALSE;
    }

  return strstr (name, "..") == NULL;
}

OsiBackupInfo *
osi_backup_info_new (const char *name,
                     GDateTime  *date,
                     gint64      size,
                     const char *sha256)
{
  /* Only the server contract (new_from_json) enforces the backup name grammar:
   * local files shown by the offline check may be named anything. */
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);
  g_return_val_if_fail (g_utf8_validate (name, -1, NULL), NULL);
  g_return_val_if_fail (date != NULL, NULL);
  g_return_val_if_fail (sha256 == NULL || is_sha256_hex (sha256), NULL);

  return g_object_new (OSI_TYPE_BACKUP_INFO,
                       "name", name,
                       "date", date,
                       "size", MAX (size, -1),
                       "sha256", sha256,
                       NULL);
}

static gboolean
node_holds_string (JsonNode *node)
{
  return node != NULL
         && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_STRING;
}

OsiBackupInfo *
osi_backup_info_new_from_json (JsonObject  *object,
                               GError     **error)
{
  g_autoptr(GTimeZone) utc = NULL;
  g_autoptr(GDateTime) date = NULL;
  JsonNode *node;
  const char *name;
  const char *sha256 = NULL;
  gint64 size = -1;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  node = json_object_get_member (object, "name");
  if (!node_holds_string (node))
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup has no name"));
      return NULL;
    }

  name = json_node_get_string (node);
  if (!osi_backup_name_is_valid (name))
    {
      g_autofree char *shown = printable_name (name);

      g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_NAME,
                   _("Invalid backup name “%s”"), shown);
      return NULL;
    }

  node = json_object_get_member (object, "date");
  if (!node_holds_string (node))
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup has no date"));
      return NULL;
    }

  /* The contract says UTC; a date without an offset is read as UTC too,
   * never as the local time of whoever runs the client. */
  utc = g_time_zone_new_utc ();
  date = g_date_time_new_from_iso8601 (json_node_get_string (node), utc);
  if (date == NULL)
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup date is not a valid ISO 8601 date"));
      return NULL;
    }

  /* Old backends omit size and sha256; JSON null is read the same way. */
  node = json_object_get_member (object, "size");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node)
          || json_node_get_value_type (node) != G_TYPE_INT64
          || (size = json_node_get_int (node)) < 0)
        {
          g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                               _("The backup size is not a non-negative integer"));
          return NULL;
        }
    }

  node = json_object_get_member (object, "sha256");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!node_holds_string (node)
          || !is_sha256_hex ((sha256 = json_node_get_string (node))))
        {
          g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                               _("The backup checksum is not 64 hexadecimal digits"));
          return NULL;
        }
    }

  return osi_backup_info_new (name, date, size, sha256);
}

JsonNode *
osi_backup_info_to_json (OsiBackupInfo *self)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *date = NULL;
  JsonNode *node;

  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  /* Whole seconds and 'Z', the form the backends themselves send. */
  utc = g_date_time_to_utc (self->date);
  date = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");

  object = json_object_new ();
  json_object_set_string_member (object, "name", self->name);
  json_object_set_string_member (object, "date", date);
  if (self->size >= 0)
    json_object_set_int_member (object, "size", self->size);
  if (self->sha256 != NULL)
    json_object_set_string_member (object, "sha256", self->sha256);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);

  return node;
}

const char *
osi_backup_info_get_name (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return self->name;
}

GDateTime *
osi_backup_info_get_date (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return self->date;
}

gint64
osi_backup_info_get_size (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), -1);

  return self->size;
}

const char *
osi_backup_info_get_sha256 (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return self->sha256;
}

const char *
osi_backup_info_get_display_date (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return ensure_cached_string (&self->display_date, self->date, format_date);
}

const char *
osi_backup_info_get_folded_name (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return ensure_cached_string (&self->folded_name, self->name, fold_name);
}

GPtrArray *
osi_backup_info_list_from_json (JsonNode  *root,
                                GError   **error)
{
  g_autoptr(GPtrArray) list = NULL;
  JsonObject *object;
  JsonNode *backups;
  JsonArray *array;
  guint n_entries;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup list is not a JSON object"));
      return NULL;
    }

  object = json_node_get_object (root);
  backups = json_object_get_member (object, "backups");
  if (backups == NULL || !JSON_NODE_HOLDS_ARRAY (backups))
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup list has no “backups” array"));
      return NULL;
    }

  array = json_node_get_array (backups);
  n_entries = json_array_get_length (array);
  list = g_ptr_array_new_full (n_entries, g_object_unref);

  for (guint i = 0; i < n_entries; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr(GError) local_error = NULL;
      OsiBackupInfo *info;
      JsonNode *name;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                       _("Backup entry %u is not a JSON object"), i);
          return NULL;
        }

      info = osi_backup_info_new_from_json (json_node_get_object (element), &local_error);
      if (info == NULL)
        {
          name = json_object_get_member (json_node_get_object (element), "name");

          /* An invalid name is already quoted by the error itself. */
          if (node_holds_string (name) && osi_backup_name_is_valid (json_node_get_string (name)))
            g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                        _("Backup entry %u (“%s”): "),
                                        i, json_node_get_string (name));
          else
            g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                        _("Backup entry %u: "), i);
          return NULL;
        }

      g_ptr_array_add (list, info);
    }

  return g_steal_pointer (&list);
}
