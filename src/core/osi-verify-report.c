/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-verify-report.h"

struct _OsiVerifyReport
{
  GObject     parent_instance;

  char       *file;
  char       *format;
  GPtrArray  *findings;
  GPtrArray  *entries;
  JsonObject *manifest;
  guint64     archive_bytes;
  guint64     content_bytes;
  gint64      rag_entries;
  guint32     seen_codes[(OSI_N_FINDINGS + 31) / 32];
  /* findings counted but not kept, by code */
  guint64     omitted[OSI_N_FINDINGS];
  guint64     n_omitted;
};

G_DEFINE_FINAL_TYPE (OsiVerifyReport, osi_verify_report, G_TYPE_OBJECT)

static const char * const finding_ids[OSI_N_FINDINGS] = {
  [OSI_FINDING_UNREADABLE] = "unreadable",
  [OSI_FINDING_EMPTY_FILE] = "empty_file",
  [OSI_FINDING_UNKNOWN_FORMAT] = "unknown_format",
  [OSI_FINDING_TRUNCATED] = "truncated",
  [OSI_FINDING_CORRUPT] = "corrupt",
  [OSI_FINDING_ABSOLUTE_PATH] = "absolute_path",
  [OSI_FINDING_PARENT_PATH] = "parent_path",
  [OSI_FINDING_UNSAFE_PATH] = "unsafe_path",
  [OSI_FINDING_NAME_NOT_UTF8] = "name_not_utf8",
  [OSI_FINDING_SYMLINK] = "symlink",
  [OSI_FINDING_HARDLINK] = "hardlink",
  [OSI_FINDING_SPECIAL_FILE] = "special_file",
  [OSI_FINDING_DUPLICATE_PATH] = "duplicate_path",
  [OSI_FINDING_MANIFEST_MISSING] = "manifest_missing",
  [OSI_FINDING_MANIFEST_INVALID] = "manifest_invalid",
  [OSI_FINDING_CHECKSUM_MISMATCH] = "checksum_mismatch",
  [OSI_FINDING_SIZE_MISMATCH] = "size_mismatch",
  [OSI_FINDING_MISSING_FILE] = "missing_file",
  [OSI_FINDING_EXTRA_FILE] = "extra_file",
  [OSI_FINDING_RAG_MISSING] = "rag_missing",
  [OSI_FINDING_RAG_INVALID_JSON] = "rag_invalid_json",
  [OSI_FINDING_RAG_INVALID_SCHEMA] = "rag_invalid_schema",
  [OSI_FINDING_TOO_LARGE] = "too_large",
  [OSI_FINDING_RATIO_EXCEEDED] = "ratio_exceeded",
  [OSI_FINDING_TOO_MANY_ENTRIES] = "too_many_entries",
  [OSI_FINDING_WRITE_FAILED] = "write_failed",
  [OSI_FINDING_PATHS_TOO_LARGE] = "paths_too_large",
};

static void
finding_free (gpointer data)
{
  OsiFinding *finding = data;

  g_free (finding->path);
  g_free (finding->message);
  g_free (finding);
}

/* One block for the entry and its strings: an archive may hold hundreds
 * of thousands of entries, and three allocations each would cost more
 * than the paths themselves. g_free () releases it. */
static OsiFileEntry *
file_entry_new (const char *path,
                gint64      size,
                const char *sha256,
                gboolean    is_dir)
{
  gsize path_len = strlen (path) + 1;
  gsize sha_len = sha256 != NULL ? strlen (sha256) + 1 : 0;
  OsiFileEntry *entry = g_malloc (sizeof *entry + path_len + sha_len);
  char *text = (char *)(entry + 1);

  entry->path = memcpy (text, path, path_len);
  entry->sha256 = sha256 != NULL ? memcpy (text + path_len, sha256, sha_len) : NULL;
  entry->size = size;
  entry->is_dir = is_dir;
  return entry;
}

/* text cut to OSI_VERIFY_REPORT_MAX_TEXT bytes on a character boundary,
 * "…" marking the cut; not UTF-8, escaped so that the report stays valid
 * JSON and printable. The archive decides how long its names and link
 * targets are: a finding must not copy a megabyte of either. */
static char *
bounded_text (const char *text)
{
  g_autofree char *head = NULL;
  g_autofree char *escaped = NULL;
  const char *valid_end;
  gsize len;
  gsize cut;

  if (text == NULL)
    return NULL;

  len = strnlen (text, OSI_VERIFY_REPORT_MAX_TEXT + 1);
  /* A character that the limit cuts in two is not an invalid one. */
  if (!g_utf8_validate_len (text, len, &valid_end) &&
      (len <= OSI_VERIFY_REPORT_MAX_TEXT || valid_end < text + len - 3))
    {
      head = g_strndup (text, len);
      escaped = g_strescape (head, NULL);
      text = escaped;
      len = strlen (escaped);
    }
  if (len <= OSI_VERIFY_REPORT_MAX_TEXT)
    return g_strndup (text, len);

  cut = OSI_VERIFY_REPORT_MAX_TEXT - strlen ("…");
  while (cut > 0 && ((guchar)text[cut] & 0xC0) == 0x80)
    cut--;
  return g_strdup_printf ("%.*s…", (int)cut, text);
}

static char *
describe_finding (OsiFindingCode  code,
                  const char     *d)
{
  if (d == NULL)
    d = "";

  switch (code)
    {
    case OSI_FINDING_UNREADABLE:
      return g_strdup_printf (_("The file cannot be read: %s"), d);
    case OSI_FINDING_EMPTY_FILE:
      return g_strdup (_("The file is empty: it holds no backup."));
    case OSI_FINDING_UNKNOWN_FORMAT:
      return g_strdup_printf (_("This is not a backup archive in a known format (%s)."), d);
    case OSI_FINDING_TRUNCATED:
      return g_strdup_printf (_("The archive is truncated: it stops before its end (%s). Download it again."), d);
    case OSI_FINDING_CORRUPT:
      return g_strdup_printf (_("The archive is damaged: its compressed data cannot be decoded (%s)."), d);
    case OSI_FINDING_ABSOLUTE_PATH:
      return g_strdup (_("Absolute path refused: an entry must stay inside the data directory."));
    case OSI_FINDING_PARENT_PATH:
      return g_strdup (_("Path with “..” refused: it would write outside the data directory."));
    case OSI_FINDING_UNSAFE_PATH:
      return g_strdup_printf (_("Unsafe path refused (%s)."), d);
    case OSI_FINDING_NAME_NOT_UTF8:
      return g_strdup (_("File name refused: it is not valid UTF-8."));
    case OSI_FINDING_SYMLINK:
      return g_strdup_printf (_("Symbolic link refused (it points to “%s”)."), d);
    case OSI_FINDING_HARDLINK:
      return g_strdup_printf (_("Hard link refused (it points to “%s”)."), d);
    case OSI_FINDING_SPECIAL_FILE:
      return g_strdup_printf (_("Special file refused (%s): a backup holds only files and folders."), d);
    case OSI_FINDING_DUPLICATE_PATH:
      return g_strdup (_("This path appears more than once in the archive."));
    case OSI_FINDING_MANIFEST_MISSING:
      return g_strdup (_("No manifest.json: the structure is valid, but the integrity of the files cannot be proven."));
    case OSI_FINDING_MANIFEST_INVALID:
      return g_strdup_printf (_("The manifest manifest.json is invalid: %s"), d);
    case OSI_FINDING_CHECKSUM_MISMATCH:
      return g_strdup (_("The content differs from the manifest (SHA-256 mismatch): the file was altered."));
    case OSI_FINDING_SIZE_MISMATCH:
      return g_strdup_printf (_("The size differs from the manifest (%s)."), d);
    case OSI_FINDING_MISSING_FILE:
      return g_strdup (_("Listed in the manifest but missing from the archive."));
    case OSI_FINDING_EXTRA_FILE:
      return g_strdup (_("Present in the archive but not listed in the manifest."));
    case OSI_FINDING_RAG_MISSING:
      return g_strdup (_("The RAG knowledge base rag/search.json is missing."));
    case OSI_FINDING_RAG_INVALID_JSON:
      return g_strdup_printf (_("The RAG knowledge base is not valid JSON: %s"), d);
    case OSI_FINDING_RAG_INVALID_SCHEMA:
      return g_strdup_printf (_("The RAG knowledge base does not follow the expected schema: %s"), d);
    case OSI_FINDING_TOO_LARGE:
      return g_strdup_printf (_("The archive expands beyond the size limit (%s)."), d);
    case OSI_FINDING_RATIO_EXCEEDED:
      return g_strdup_printf (_("The archive expands abnormally (%s): probable decompression bomb."), d);
    case OSI_FINDING_TOO_MANY_ENTRIES:
      return g_strdup_printf (_("The archive holds too many entries (%s)."), d);
    case OSI_FINDING_WRITE_FAILED:
      return g_strdup_printf (_("Could not write the restored file: %s"), d);
    case OSI_FINDING_PATHS_TOO_LARGE:
      /* Translators: %s is a size, such as “67.1 MB” */
      return g_strdup_printf (_("The names of the archive’s entries add up to more than the limit (%s): "
                                "probable metadata bomb."), d);
    case OSI_N_FINDINGS:
    default:
      break;
    }

  g_return_val_if_reached (g_strdup (d));
}

static OsiSeverity
severity_for (OsiFindingCode code)
{
  return code == OSI_FINDING_MANIFEST_MISSING ? OSI_SEVERITY_UNPROVEN : OSI_SEVERITY_ERROR;
}

static void
osi_verify_report_finalize (GObject *object)
{
  OsiVerifyReport *self = (OsiVerifyReport *)object;

  g_clear_pointer (&self->file, g_free);
  g_clear_pointer (&self->format, g_free);
  g_clear_pointer (&self->findings, g_ptr_array_unref);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->manifest, json_object_unref);

  G_OBJECT_CLASS (osi_verify_report_parent_class)->finalize (object);
}

static void
osi_verify_report_class_init (OsiVerifyReportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = osi_verify_report_finalize;
}

static void
osi_verify_report_init (OsiVerifyReport *self)
{
  self->findings = g_ptr_array_new_with_free_func (finding_free);
  self->entries = g_ptr_array_new_with_free_func (g_free);
  self->rag_entries = -1;
}

OsiVerifyReport *
osi_verify_report_new (const char *file)
{
  OsiVerifyReport *self = g_object_new (OSI_TYPE_VERIFY_REPORT, NULL);

  self->file = g_strdup (file);
  return self;
}

const char *
osi_verify_report_get_file (OsiVerifyReport *self)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), NULL);
  return self->file;
}

/* From the codes seen rather than the findings kept, so that one left
 * out still counts; a code's severity is fixed. */
OsiVerdict
osi_verify_report_get_verdict (OsiVerifyReport *self)
{
  OsiVerdict verdict = OSI_VERDICT_RESTORABLE;

  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), OSI_VERDICT_NOT_RESTORABLE);

  for (guint code = 0; code < OSI_N_FINDINGS; code++)
    {
      if (!osi_verify_report_has_finding (self, code))
        continue;
      if (severity_for (code) == OSI_SEVERITY_ERROR)
        return OSI_VERDICT_NOT_RESTORABLE;
      if (severity_for (code) == OSI_SEVERITY_UNPROVEN)
        verdict = OSI_VERDICT_UNPROVEN;
    }

  return verdict;
}

gboolean
osi_verify_report_is_restorable (OsiVerifyReport *self)
{
  return osi_verify_report_get_verdict (self) == OSI_VERDICT_RESTORABLE;
}

GPtrArray *
osi_verify_report_get_findings (OsiVerifyReport *self)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), NULL);
  return self->findings;
}

gboolean
osi_verify_report_has_finding (OsiVerifyReport *self,
                               OsiFindingCode   code)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), FALSE);
  g_return_val_if_fail (code < OSI_N_FINDINGS, FALSE);

  return (self->seen_codes[code / 32] & (1u << (code % 32))) != 0;
}

guint64
osi_verify_report_get_omitted (OsiVerifyReport *self,
                               OsiFindingCode   code)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), 0);
  g_return_val_if_fail (code <= OSI_N_FINDINGS, 0);

  return code == OSI_N_FINDINGS ? self->n_omitted : self->omitted[code];
}

void
osi_verify_report_add_finding (OsiVerifyReport *self,
                               OsiFindingCode   code,
                               const char      *path,
                               const char      *detail)
{
  OsiFinding *finding;
  g_autofree char *bounded_detail = NULL;

  g_return_if_fail (OSI_IS_VERIFY_REPORT (self));
  g_return_if_fail (code < OSI_N_FINDINGS);

  /* An archive of a hundred thousand bad entries must not make a report
   * of a hundred thousand findings: past the limit, a finding is kept
   * only when it is the first of its code (so that every kind found is
   * shown, whatever came before it, such as the limit that stopped the
   * reading) and otherwise just counted. */
  if (self->findings->len >= OSI_VERIFY_REPORT_MAX_FINDINGS &&
      osi_verify_report_has_finding (self, code))
    {
      self->omitted[code]++;
      self->n_omitted++;
      return;
    }

  finding = g_new0 (OsiFinding, 1);
  finding->code = code;
  finding->severity = severity_for (code);
  finding->path = bounded_text (path);
  bounded_detail = bounded_text (detail);
  finding->message = describe_finding (code, bounded_detail);
  g_ptr_array_add (self->findings, finding);
  self->seen_codes[code / 32] |= 1u << (code % 32);
}

GPtrArray *
osi_verify_report_get_entries (OsiVerifyReport *self)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), NULL);
  return self->entries;
}

guint
osi_verify_report_get_n_listed (OsiVerifyReport *self)
{
  static const OsiFindingCode limits[] = {
    OSI_FINDING_TOO_LARGE,
    OSI_FINDING_RATIO_EXCEEDED,
    OSI_FINDING_TOO_MANY_ENTRIES,
    OSI_FINDING_PATHS_TOO_LARGE,
  };

  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), 0);

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
    if (osi_verify_report_has_finding (self, limits[i]))
      return MIN (self->entries->len, OSI_VERIFY_REPORT_MAX_LISTED);
  return self->entries->len;
}

const OsiFileEntry *
osi_verify_report_add_entry (OsiVerifyReport *self,
                             const char      *path,
                             gint64           size,
                             const char      *sha256,
                             gboolean         is_dir)
{
  OsiFileEntry *entry;

  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  entry = file_entry_new (path, size, sha256, is_dir);
  g_ptr_array_add (self->entries, entry);
  return entry;
}

void
osi_verify_report_set_format (OsiVerifyReport *self,
                              const char      *format)
{
  g_return_if_fail (OSI_IS_VERIFY_REPORT (self));
  g_free (self->format);
  self->format = g_strdup (format);
}

const char *
osi_verify_report_get_format (OsiVerifyReport *self)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), NULL);
  return self->format;
}

void
osi_verify_report_set_totals (OsiVerifyReport *self,
                              guint64          archive_bytes,
                              guint64          content_bytes)
{
  g_return_if_fail (OSI_IS_VERIFY_REPORT (self));
  self->archive_bytes = archive_bytes;
  self->content_bytes = content_bytes;
}

guint64
osi_verify_report_get_archive_bytes (OsiVerifyReport *self)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), 0);
  return self->archive_bytes;
}

guint64
osi_verify_report_get_content_bytes (OsiVerifyReport *self)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), 0);
  return self->content_bytes;
}

void
osi_verify_report_set_rag_entries (OsiVerifyReport *self,
                                   gint64           count)
{
  g_return_if_fail (OSI_IS_VERIFY_REPORT (self));
  self->rag_entries = count;
}

gint64
osi_verify_report_get_rag_entries (OsiVerifyReport *self)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), -1);
  return self->rag_entries;
}

void
osi_verify_report_set_manifest (OsiVerifyReport *self,
                                JsonObject      *manifest)
{
  g_return_if_fail (OSI_IS_VERIFY_REPORT (self));

  if (manifest != NULL)
    json_object_ref (manifest);
  g_clear_pointer (&self->manifest, json_object_unref);
  self->manifest = manifest;
}

JsonObject *
osi_verify_report_get_manifest (OsiVerifyReport *self)
{
  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), NULL);
  return self->manifest;
}

const char *
osi_finding_code_to_string (OsiFindingCode code)
{
  g_return_val_if_fail (code < OSI_N_FINDINGS, "unknown");
  return finding_ids[code];
}

const char *
osi_verdict_to_string (OsiVerdict verdict)
{
  switch (verdict)
    {
    case OSI_VERDICT_RESTORABLE:
      return "restorable";
    case OSI_VERDICT_UNPROVEN:
      return "unproven";
    case OSI_VERDICT_NOT_RESTORABLE:
    default:
      return "not_restorable";
    }
}

const char *
osi_verdict_describe (OsiVerdict verdict)
{
  switch (verdict)
    {
    case OSI_VERDICT_RESTORABLE:
      return _("restorable");
    case OSI_VERDICT_UNPROVEN:
      return _("integrity unproven");
    case OSI_VERDICT_NOT_RESTORABLE:
    default:
      return _("not restorable");
    }
}

static const char *
severity_to_string (OsiSeverity severity)
{
  switch (severity)
    {
    case OSI_SEVERITY_WARNING:
      return "warning";
    case OSI_SEVERITY_UNPROVEN:
      return "unproven";
    case OSI_SEVERITY_ERROR:
    default:
      return "error";
    }
}

static void
add_manifest_summary (JsonBuilder *builder,
                      JsonObject  *manifest)
{
  JsonNode *files;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, json_object_get_int_member_with_default (manifest, "version", 0));
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, json_object_get_string_member_with_default (manifest, "created", NULL));
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, json_object_get_string_member_with_default (manifest, "host", NULL));
  json_builder_set_member_name (builder, "rag_entries");
  json_builder_add_int_value (builder, json_object_get_int_member_with_default (manifest, "rag_entries", -1));
  files = json_object_get_member (manifest, "files");
  json_builder_set_member_name (builder, "file_count");
  json_builder_add_int_value (builder,
                              files != NULL && JSON_NODE_HOLDS_ARRAY (files)
                                ? json_array_get_length (json_node_get_array (files))
                                : 0);
  json_builder_end_object (builder);
}

JsonNode *
osi_verify_report_to_json (OsiVerifyReport *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  OsiVerdict verdict;
  guint n_listed;

  g_return_val_if_fail (OSI_IS_VERIFY_REPORT (self), NULL);

  verdict = osi_verify_report_get_verdict (self);
  n_listed = osi_verify_report_get_n_listed (self);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "file");
  json_builder_add_string_value (builder, self->file);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, self->format);
  json_builder_set_member_name (builder, "verdict");
  json_builder_add_string_value (builder, osi_verdict_to_string (verdict));
  json_builder_set_member_name (builder, "restorable");
  json_builder_add_boolean_value (builder, verdict == OSI_VERDICT_RESTORABLE);
  json_builder_set_member_name (builder, "archive_bytes");
  json_builder_add_int_value (builder, (gint64)self->archive_bytes);
  json_builder_set_member_name (builder, "content_bytes");
  json_builder_add_int_value (builder, (gint64)self->content_bytes);
  json_builder_set_member_name (builder, "rag_entries");
  if (self->rag_entries >= 0)
    json_builder_add_int_value (builder, self->rag_entries);
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "manifest");
  if (self->manifest != NULL)
    add_manifest_summary (builder, self->manifest);
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_listed; i++)
    {
      const OsiFileEntry *entry = g_ptr_array_index (self->entries, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, entry->path);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, entry->is_dir ? "directory" : "file");
      if (!entry->is_dir)
        {
          json_builder_set_member_name (builder, "size");
          json_builder_add_int_value (builder, entry->size);
          json_builder_set_member_name (builder, "sha256");
          json_builder_add_string_value (builder, entry->sha256);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  /* Beside the lists rather than in them, so that their readers see only
   * what they always saw: how many more were read or found. */
  json_builder_set_member_name (builder, "files_omitted");
  json_builder_add_int_value (builder, self->entries->len - n_listed);

  json_builder_set_member_name (builder, "findings");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->findings->len; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (self->findings, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, finding_ids[finding->code]);
      json_builder_set_member_name (builder, "severity");
      json_builder_add_string_value (builder, severity_to_string (finding->severity));
      json_builder_set_member_name (builder, "path");
      if (finding->path != NULL)
        json_builder_add_string_value (builder, finding->path);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, finding->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "findings_omitted");
  json_builder_add_int_value (builder, (gint64)self->n_omitted);
  json_builder_set_member_name (builder, "findings_omitted_by_code");
  json_builder_begin_object (builder);
  for (guint code = 0; code < OSI_N_FINDINGS; code++)
    if (self->omitted[code] > 0)
      {
        json_builder_set_member_name (builder, finding_ids[code]);
        json_builder_add_int_value (builder, (gint64)self->omitted[code]);
      }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
