/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-backup-info-private.h"
#include "osi-error.h"
#include "osi-json-tokenizer.h"
#include "osi-search.h"
#include "osi-sha256.h"

#define SHA256_HEX_LEN 64
/* Longest name echoed back in an error message. */
#define MAX_NAME_IN_MESSAGE 64

/* The words of docs/api.md §6.2 a backup's kind and verdict may be,
 * after NULL (not said): an entry keeps the index, and the getters give
 * these very strings. */
static const char * const kind_words[] = { NULL, "manual", "scheduled", "safety", "upload" };
static const char * const verdict_words[] = { NULL, "restorable", "not-restorable", "unproven" };
/* docs/api.md §7.3: the states of an off-site copy, the same way. */
static const char * const offsite_words[] = { NULL, "pending", "copying", "done", "failed" };

/* The dates and texts a server's catalog adds beyond the words above,
 * apart: most backups of most servers have none, and one pointer is all
 * they pay. */
typedef struct
{
  GDateTime *verified_at;     /* NULL: not said */
  GDateTime *offsite_at;      /* NULL: not said */
  char      *offsite_detail;  /* NULL: empty */
  gint64     copied;          /* GET /offsite's "copied", -1: not said */
} Catalog;

/* A list holds 100,000 of these, twice while a refresh replaces it: the
 * small members are packed after the pointers. */
struct _OsiBackupInfo
{
  GObject       parent_instance;

  char         *name;
  GDateTime    *date;
  gint64        size;
  char         *sha256;
  /* What the server sent wrong in this entry (docs/api.md §5.3: one bad entry
   * never fails the list), or NULL. */
  char         *problem;

  /* What a server with a policy says of the backup (docs/api.md §6, §7): set
   * by the readers of lists as they make the object, read through the
   * getters only. */
  char         *note;
  Catalog      *catalog;   /* NULL: nothing said beyond the words */

  /* Filled lazily, at most once, with a compare-and-exchange so that
   * concurrent readers never leak or free each other's string. */
  char         *display_date;
  char         *display_name;
  char         *folded_name;

  /* Filled in constructed(): the matcher reads it for every item on every
   * keystroke, and the object is immutable, so it never goes stale. */
  OsiLocalDate  local_date;

  guint8        date_known;
  guint8        is_protected;
  guint8        kind;      /* index into kind_words */
  guint8        verdict;   /* index into verdict_words */
  guint8        offsite_state;  /* index into offsite_words */
  guint8        not_local; /* GET /offsite: "local": false */
};

G_DEFINE_FINAL_TYPE (OsiBackupInfo, osi_backup_info, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_DATE,
  PROP_SIZE,
  PROP_SHA256,
  PROP_DATE_KNOWN,
  PROP_PROBLEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
format_date (gconstpointer data)
{
  const OsiBackupInfo *self = data;

  if (!self->date_known)
    return g_strdup (_("Unknown date"));
  return osi_format_date (self->date);
}

/* A name from the server as it may be shown: one outside the grammar may
 * hold controls (a terminal's escapes, line breaks) or bidirectional
 * overrides that would make it read as another; they show as U+FFFD. */
static char *
format_name (gconstpointer data)
{
  const OsiBackupInfo *self = data;
  GString *out;

  if (osi_backup_name_is_valid (self->name))
    return g_strdup (self->name);
  if (self->name[0] == '\0')
    return g_strdup (_("Unnamed backup"));
  out = g_string_new (NULL);
  for (const char *p = self->name; *p != '\0' && out->len < 4 * MAX_NAME_IN_MESSAGE; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) ||
          (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F)
        c = 0xFFFD;
      g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
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

/* Days since 1970-01-01 of a proleptic Gregorian date, and back: the
 * usual era arithmetic (400-year cycles of 146,097 days, years counted
 * from March so that the leap day ends the year). */
static gint64
days_from_civil (gint64 year,
                 guint  month,
                 guint  day)
{
  gint64 era;
  guint year_of_era, day_of_year, day_of_era;

  year -= month <= 2;
  era = (year >= 0 ? year : year - 399) / 400;
  year_of_era = (guint)(year - era * 400);
  day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + (gint64)day_of_era - 719468;
}

static void
civil_from_days (gint64  days,
                 int    *year,
                 int    *month,
                 int    *day)
{
  gint64 era;
  guint day_of_era, year_of_era, day_of_year, mp;

  days += 719468;
  era = (days >= 0 ? days : days - 146096) / 146097;
  day_of_era = (guint)(days - era * 146097);
  year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  mp = (5 * day_of_year + 2) / 153;
  *day = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
  *month = (int)(mp < 10 ? mp + 3 : mp - 9);
  *year = (int)(year_of_era + era * 400 + (*month <= 2));
}

/* The date in this desktop's time zone, as g_date_time_to_timezone ()
 * finds it (the interval of the instant, its offset), without making a
 * GDateTime for each of 100,000 backups. One local time zone for the
 * process: g_date_time_to_local () loads it again for every call. */
static void
settle_local_date (OsiBackupInfo *self)
{
  GTimeZone *tz = local_time_zone ();
  gint64 instant = g_date_time_to_unix (self->date);
  gint64 local = instant + g_time_zone_get_offset (tz, g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL,
                                                                                   instant));
  gint64 days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  gint64 seconds = local - days * 86400;
  int year, month, day;

  civil_from_days (days, &year, &month, &day);
  self->local_date.year = (gint16)year;
  self->local_date.month = (guint8)month;
  self->local_date.day = (guint8)day;
  self->local_date.hour = (guint8)(seconds / 3600);
  self->local_date.minute = (guint8)(seconds % 3600 / 60);
}

/* Lowercase so that comparisons with computed digests are plain
 * strcmp (); a server's are lowercase already. */
static char *
lowercase_sha256 (const char *sha256)
{
  for (const char *c = sha256; *c != '\0'; c++)
    if (g_ascii_isupper (*c))
      return g_ascii_strdown (sha256, -1);
  return g_strdup (sha256);
}

/* The date of an object made without one: the same for all. */
static GDateTime *
epoch (void)
{
  static GDateTime *date;

  if (g_once_init_enter (&date))
    g_once_init_leave (&date, g_date_time_new_from_unix_utc (0));
  return date;
}

static void
catalog_free (Catalog *catalog)
{
  g_clear_pointer (&catalog->verified_at, g_date_time_unref);
  g_clear_pointer (&catalog->offsite_at, g_date_time_unref);
  g_free (catalog->offsite_detail);
  g_free (catalog);
}

static Catalog *
ensure_catalog (OsiBackupInfo *self)
{
  if (self->catalog == NULL)
    {
      self->catalog = g_new0 (Catalog, 1);
      self->catalog->copied = -1;
    }
  return self->catalog;
}

static void
osi_backup_info_constructed (GObject *object)
{
  OsiBackupInfo *self = OSI_BACKUP_INFO (object);

  G_OBJECT_CLASS (osi_backup_info_parent_class)->constructed (object);

  /* g_object_new() without a date still gives a usable object. */
  if (self->date == NULL)
    self->date = g_date_time_ref (epoch ());
  if (self->name == NULL)
    self->name = g_strdup ("");
  if (self->date_known)
    settle_local_date (self);
}

static void
osi_backup_info_finalize (GObject *object)
{
  OsiBackupInfo *self = OSI_BACKUP_INFO (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->date, g_date_time_unref);
  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->problem, g_free);
  g_clear_pointer (&self->note, g_free);
  g_clear_pointer (&self->catalog, catalog_free);
  g_clear_pointer (&self->display_date, g_free);
  g_clear_pointer (&self->display_name, g_free);
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

    case PROP_DATE_KNOWN:
      g_value_set_boolean (value, self->date_known);
      break;

    case PROP_PROBLEM:
      g_value_set_string (value, self->problem);
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
        self->sha256 = sha256 != NULL ? lowercase_sha256 (sha256) : NULL;
      }
      break;

    case PROP_DATE_KNOWN:
      self->date_known = g_value_get_boolean (value) != FALSE;
      break;

    case PROP_PROBLEM:
      g_free (self->problem);
      self->problem = g_value_dup_string (value);
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

  properties[PROP_DATE_KNOWN] =
    g_param_spec_boolean ("date-known", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_PROBLEM] =
    g_param_spec_string ("problem", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osi_backup_info_init (OsiBackupInfo *self)
{
  self->size = -1;
  self->date_known = TRUE;
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

GTimeZone *
osi_time_zone_new (const char  *identifier,
                   GError     **error)
{
  GTimeZone *tz;

  g_return_val_if_fail (identifier != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  tz = g_time_zone_new_identifier (identifier);
  if (tz == NULL)
    {
      g_autofree char *shown = printable_name (identifier);

      g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                   _("“%s” is not a time zone: write one like Europe/Paris, UTC or +01:00."), shown);
    }
  return tz;
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
  g_return_val_if_fail (sha256 == NULL || osi_sha256_is_hex (sha256), NULL);

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

/* The index of field's text in words (NULL first), 0 when it is not
 * one of them. */
static guint8
word_index (const Field        *field,
            const char * const *words,
            guint               n_words)
{
  if (field->kind != FIELD_STRING)
    return 0;
  for (guint i = 1; i < n_words; i++)
    if (strcmp (field->string, words[i]) == 0)
      return (guint8)i;
  return 0;
}

static GDateTime *date_from_text (const char *text, GTimeZone *naive_tz);

/* docs/api.md §7.3. A state this client does not know leaves out the
 * whole "offsite" object, as an unknown member would be; "local" and
 * "copied" stand on their own. */
static void
apply_offsite (OsiBackupInfo *self,
               const Extras  *extras,
               GTimeZone     *naive_tz)
{
  GDateTime *at = NULL;

  self->not_local = extras->local.kind == FIELD_BOOL && extras->local.integer == 0;
  if (extras->copied.kind == FIELD_INT && extras->copied.integer >= 0)
    ensure_catalog (self)->copied = extras->copied.integer;
  self->offsite_state = word_index (&extras->offsite_state, offsite_words, G_N_ELEMENTS (offsite_words));
  if (self->offsite_state == 0)
    return;
  if (extras->offsite_at.kind == FIELD_STRING)
    at = date_from_text (extras->offsite_at.string, naive_tz);
  if (at != NULL)
    ensure_catalog (self)->offsite_at = at;
  if (extras->offsite_detail.kind == FIELD_STRING && extras->offsite_detail.string[0] != '\0')
    ensure_catalog (self)->offsite_detail = g_utf8_make_valid (extras->offsite_detail.string, -1);
}

/* Called while the entry is made, before anyone else sees it. */
static void
apply_extras (OsiBackupInfo *self,
              const Extras  *extras,
              GTimeZone     *naive_tz)
{
  self->is_protected = extras->is_protected.kind == FIELD_BOOL && extras->is_protected.integer != 0;
  if (extras->note.kind == FIELD_STRING && extras->note.string[0] != '\0')
    self->note = g_utf8_make_valid (extras->note.string, -1);
  self->kind = word_index (&extras->kind, kind_words, G_N_ELEMENTS (kind_words));
  self->verdict = word_index (&extras->verdict, verdict_words, G_N_ELEMENTS (verdict_words));
  if (self->verdict != 0 && extras->verified_at.kind == FIELD_STRING)
    {
      GDateTime *at = date_from_text (extras->verified_at.string, naive_tz);

      if (at != NULL)
        ensure_catalog (self)->verified_at = at;
    }
  apply_offsite (self, extras, naive_tz);
}

static guint
two_digits (const char *text)
{
  return (guint)(text[0] - '0') * 10 + (guint)(text[1] - '0');
}

/* What osi-backup-server writes, "2026-12-05T15:14:58Z", read directly:
 * g_date_time_new_from_iso8601 () was a fifth of a list's parse. The same
 * instant, in UTC, as it would give; NULL for any other text, valid or
 * not. */
static GDateTime *
server_form_date (const char *text)
{
  static const guint8 month_days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
  guint year, month, day, hour, minute, second;

  for (guint i = 0; i < sizeof form; i++)
    if (form[i] == 'd' ? !g_ascii_isdigit (text[i]) : text[i] != form[i])
      return NULL;
  year = two_digits (text) * 100 + two_digits (text + 2);
  month = two_digits (text + 5);
  day = two_digits (text + 8);
  hour = two_digits (text + 11);
  minute = two_digits (text + 14);
  second = two_digits (text + 17);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
      (month == 2 && day == 29 && !g_date_is_leap_year ((GDateYear)year)) || hour > 23 || minute > 59 ||
      second > 59)
    return NULL;
  return g_date_time_new_from_unix_utc (days_from_civil (year, month, day) * 86400 + hour * 3600 + minute * 60 +
                                        second);
}

/* docs/api.md §5.3: a date without an offset is the server's local time, given
 * by naive_tz (NULL: this desktop's time zone, the usual case of a server
 * next door). A date with an offset or 'Z' keeps its own. */
static GDateTime *
date_from_text (const char *text,
                GTimeZone  *naive_tz)
{
  GDateTime *date = server_form_date (text);

  if (date != NULL)
    return date;
  return g_date_time_new_from_iso8601 (text, naive_tz != NULL ? naive_tz : local_time_zone ());
}

/* The checks of a backup the server says it made (create, upload): every
 * member must be right. Shared by the JSON tree and the streaming reader
 * so that both accept and refuse the same entries, with the same words. */
static OsiBackupInfo *
info_from_fields (const Field  *name,
                  const Field  *date_text,
                  const Field  *size,
                  const Field  *sha256,
                  const Extras *extras,
                  GTimeZone    *naive_tz,
                  GError      **error)
{
  g_autoptr(GDateTime) date = NULL;
  OsiBackupInfo *info;

  if (name->kind != FIELD_STRING)
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup has no name"));
      return NULL;
    }

  if (!osi_backup_name_is_valid (name->string))
    {
      g_autofree char *shown = printable_name (name->string);

      g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_NAME,
                   _("Invalid backup name “%s”"), shown);
      return NULL;
    }

  if (date_text->kind != FIELD_STRING)
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup has no date"));
      return NULL;
    }

  date = date_from_text (date_text->string, naive_tz);
  if (date == NULL)
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup date is not a valid ISO 8601 date"));
      return NULL;
    }

  /* Old backends omit size and sha256; JSON null is read the same way. */
  if (size->kind != FIELD_ABSENT && (size->kind != FIELD_INT || size->integer < 0))
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup size is not a non-negative integer"));
      return NULL;
    }

  if (sha256->kind != FIELD_ABSENT && (sha256->kind != FIELD_STRING || !osi_sha256_is_hex (sha256->string)))
    {
      g_set_error_literal (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                           _("The backup checksum is not 64 hexadecimal digits"));
      return NULL;
    }

  info = osi_backup_info_new (name->string, date, size->kind == FIELD_INT ? size->integer : -1,
                              sha256->kind == FIELD_STRING ? sha256->string : NULL);
  apply_extras (info, extras, naive_tz);
  return info;
}

/* An entry of a list, as well as it can be read (docs/api.md §5.3): one bad
 * entry never fails the list. What is wrong becomes the entry's problem;
 * a name outside the grammar is kept for display only (nothing acts on
 * it), a bad date is "unknown", a bad size or checksum is left out. */
OsiBackupInfo *
_osi_backup_info_from_entry (const Field  *name,
                             const Field  *date_text,
                             const Field  *size,
                             const Field  *sha256,
                             const Extras *extras,
                             GTimeZone    *naive_tz)
{
  g_autoptr(GDateTime) date = NULL;
  const char *problem = NULL;
  OsiBackupInfo *info;
  gboolean named = name->kind == FIELD_STRING && name->string[0] != '\0';

  if (!named)
    problem = _("The server sent this backup without a name: it cannot be downloaded, restored or deleted "
                "from here.");
  else if (!osi_backup_name_is_valid (name->string))
    problem = _("The server sent a name that cannot be used safely: this backup cannot be downloaded, "
                "restored or deleted from here.");
  if (date_text->kind == FIELD_STRING)
    date = date_from_text (date_text->string, naive_tz);
  if (date == NULL && problem == NULL)
    problem = _("The server sent no valid date for this backup.");

  /* The members set directly rather than as properties: for each of
   * 100,000 entries, GObject's lookup of six properties by name, their
   * GValues and its notification queue were a fifth of a list's parse. */
  info = g_object_new (OSI_TYPE_BACKUP_INFO, NULL);
  g_free (info->name);
  info->name = g_strdup (named ? name->string : "");
  info->date_known = date != NULL;
  if (date != NULL)
    {
      g_date_time_unref (info->date);
      info->date = g_steal_pointer (&date);
      settle_local_date (info);
    }
  else
    memset (&info->local_date, 0, sizeof info->local_date);
  info->size = size->kind == FIELD_INT && size->integer >= 0 ? size->integer : (gint64)-1;
  if (sha256->kind == FIELD_STRING && osi_sha256_is_hex (sha256->string))
    info->sha256 = lowercase_sha256 (sha256->string);
  info->problem = g_strdup (problem);
  apply_extras (info, extras, naive_tz);
  return info;
}

static gboolean
same_date (GDateTime *a,
           GDateTime *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_date_time_equal (a, b) && g_date_time_get_utc_offset (a) == g_date_time_get_utc_offset (b);
}

static gboolean
same_catalog (const Catalog *a,
              const Catalog *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return same_date (a->verified_at, b->verified_at) && same_date (a->offsite_at, b->offsite_at) &&
         g_strcmp0 (a->offsite_detail, b->offsite_detail) == 0 && a->copied == b->copied;
}

/* Every member compared, the caches aside (they follow from the rest). */
gboolean
_osi_backup_info_same (OsiBackupInfo *a,
                       OsiBackupInfo *b)
{
  return strcmp (a->name, b->name) == 0 && a->date_known == b->date_known && same_date (a->date, b->date) &&
         a->size == b->size && g_strcmp0 (a->sha256, b->sha256) == 0 && g_strcmp0 (a->problem, b->problem) == 0 &&
         a->is_protected == b->is_protected && g_strcmp0 (a->note, b->note) == 0 && a->kind == b->kind &&
         a->verdict == b->verdict && a->offsite_state == b->offsite_state && a->not_local == b->not_local &&
         same_catalog (a->catalog, b->catalog);
}

Field
_osi_backup_info_field_from_node (JsonNode *node)
{
  Field field = { FIELD_ABSENT, NULL, 0 };

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return field;
  field.kind = FIELD_OTHER;
  if (node_holds_string (node))
    {
      field.kind = FIELD_STRING;
      field.string = json_node_get_string (node);
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    {
      field.kind = FIELD_INT;
      field.integer = json_node_get_int (node);
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    {
      field.kind = FIELD_BOOL;
      field.integer = json_node_get_boolean (node);
    }
  return field;
}

Extras
_osi_backup_info_extras_from_object (JsonObject *entry)
{
  JsonNode *verified = json_object_get_member (entry, "verified");
  JsonNode *offsite = json_object_get_member (entry, "offsite");
  Extras extras = { { FIELD_ABSENT, NULL, 0 } };

  extras.is_protected = _osi_backup_info_field_from_node (json_object_get_member (entry, "protected"));
  extras.note = _osi_backup_info_field_from_node (json_object_get_member (entry, "note"));
  extras.kind = _osi_backup_info_field_from_node (json_object_get_member (entry, "kind"));
  if (verified != NULL && JSON_NODE_HOLDS_OBJECT (verified))
    {
      extras.verified_at = _osi_backup_info_field_from_node (json_object_get_member (json_node_get_object (verified), "at"));
      extras.verdict = _osi_backup_info_field_from_node (json_object_get_member (json_node_get_object (verified), "verdict"));
    }
  if (offsite != NULL && JSON_NODE_HOLDS_OBJECT (offsite))
    {
      JsonObject *object = json_node_get_object (offsite);

      extras.offsite_state = _osi_backup_info_field_from_node (json_object_get_member (object, "state"));
      extras.offsite_at = _osi_backup_info_field_from_node (json_object_get_member (object, "at"));
      extras.offsite_detail = _osi_backup_info_field_from_node (json_object_get_member (object, "detail"));
    }
  extras.local = _osi_backup_info_field_from_node (json_object_get_member (entry, "local"));
  extras.copied = _osi_backup_info_field_from_node (json_object_get_member (entry, "copied"));
  return extras;
}

OsiBackupInfo *
osi_backup_info_new_from_json (JsonObject  *object,
                               GTimeZone   *naive_tz,
                               GError     **error)
{
  Field name, date, size, sha256;
  Extras extras;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = _osi_backup_info_field_from_node (json_object_get_member (object, "name"));
  date = _osi_backup_info_field_from_node (json_object_get_member (object, "date"));
  size = _osi_backup_info_field_from_node (json_object_get_member (object, "size"));
  sha256 = _osi_backup_info_field_from_node (json_object_get_member (object, "sha256"));
  extras = _osi_backup_info_extras_from_object (object);
  return info_from_fields (&name, &date, &size, &sha256, &extras, naive_tz, error);
}

JsonNode *
osi_backup_info_to_json (OsiBackupInfo *self)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *date = NULL;
  JsonNode *node;

  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  object = json_object_new ();
  json_object_set_string_member (object, "name", self->name);
  if (self->date_known)
    {
      /* Whole seconds and 'Z', the form the backends themselves send. */
      utc = g_date_time_to_utc (self->date);
      date = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
      json_object_set_string_member (object, "date", date);
    }
  if (self->size >= 0)
    json_object_set_int_member (object, "size", self->size);
  if (self->sha256 != NULL)
    json_object_set_string_member (object, "sha256", self->sha256);
  if (self->is_protected)
    json_object_set_boolean_member (object, "protected", TRUE);
  if (self->note != NULL)
    json_object_set_string_member (object, "note", self->note);
  if (self->kind != 0)
    json_object_set_string_member (object, "kind", kind_words[self->kind]);
  if (self->verdict != 0)
    {
      JsonObject *verified = json_object_new ();

      if (self->catalog != NULL && self->catalog->verified_at != NULL)
        {
          g_autoptr(GDateTime) at = g_date_time_to_utc (self->catalog->verified_at);
          g_autofree char *text = g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ");

          json_object_set_string_member (verified, "at", text);
        }
      json_object_set_string_member (verified, "verdict", verdict_words[self->verdict]);
      json_object_set_object_member (object, "verified", verified);
    }
  if (self->not_local)
    json_object_set_boolean_member (object, "local", FALSE);
  if (self->offsite_state != 0)
    {
      JsonObject *offsite = json_object_new ();

      json_object_set_string_member (offsite, "state", offsite_words[self->offsite_state]);
      if (self->catalog != NULL && self->catalog->offsite_at != NULL)
        {
          g_autoptr(GDateTime) at = g_date_time_to_utc (self->catalog->offsite_at);
          g_autofree char *text = g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ");

          json_object_set_string_member (offsite, "at", text);
        }
      json_object_set_string_member (offsite, "detail",
                                     self->catalog != NULL && self->catalog->offsite_detail != NULL
                                       ? self->catalog->offsite_detail : "");
      json_object_set_object_member (object, "offsite", offsite);
    }
  if (self->catalog != NULL && self->catalog->copied >= 0)
    json_object_set_int_member (object, "copied", self->catalog->copied);

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

gboolean
osi_backup_info_get_date_known (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), FALSE);

  return self->date_known;
}

gboolean
osi_backup_info_get_protected (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), FALSE);

  return self->is_protected;
}

const char *
osi_backup_info_get_note (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return self->note;
}

const char *
osi_backup_info_get_kind (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return kind_words[self->kind];
}

const char *
osi_backup_info_get_verdict (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return verdict_words[self->verdict];
}

GDateTime *
osi_backup_info_get_verified_at (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return self->catalog != NULL ? self->catalog->verified_at : NULL;
}

const char *
osi_backup_info_get_offsite_state (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return offsite_words[self->offsite_state];
}

GDateTime *
osi_backup_info_get_offsite_at (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return self->catalog != NULL ? self->catalog->offsite_at : NULL;
}

const char *
osi_backup_info_get_offsite_detail (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return self->catalog != NULL ? self->catalog->offsite_detail : NULL;
}

gboolean
osi_backup_info_get_local (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), TRUE);

  return !self->not_local;
}

gint64
osi_backup_info_get_offsite_copied (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), -1);

  return self->catalog != NULL ? self->catalog->copied : -1;
}

const char *
osi_backup_info_get_problem (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return self->problem;
}

gboolean
osi_backup_info_can_be_named (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), FALSE);

  return osi_backup_name_is_valid (self->name);
}

const char *
osi_backup_info_get_display_date (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return ensure_cached_string (&self->display_date, self, format_date);
}

const char *
osi_backup_info_get_display_name (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return ensure_cached_string (&self->display_name, self, format_name);
}

const char *
osi_backup_info_get_folded_name (OsiBackupInfo *self)
{
  g_return_val_if_fail (OSI_IS_BACKUP_INFO (self), NULL);

  return ensure_cached_string (&self->folded_name, self->name, fold_name);
}

/* A list entry that is no object: a bare name is still a name. */
