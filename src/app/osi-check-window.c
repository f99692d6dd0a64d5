/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-check-window"

#include "config.h"

#include <errno.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-check-window-private.h"
#include "osi-dialog.h"
#include "osi-diff-window.h"
#include "osi-file-hash.h"
#include "osi-window-private.h"
#include "osi-resources.h"
#include "osi-search.h"

/* A backup holds thousands of files: past this many rows, one row says
 * how many more there are. */
#define MAX_FILE_ROWS 200


G_DEFINE_FINAL_TYPE (OsiCheckWindow, osi_check_window, ADW_TYPE_WINDOW)

/* ------------------------------------------------------------------------ */
/* Rows                                                                     */

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

/* A row of plain text (paths and messages are not markup); "key" keeps
 * what the tests read back. */
static AdwActionRow *
add_row (GtkListBox *list,
         const char *title,
         const char *subtitle,
         const char *value,
         const char *key)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  /* Paths and messages come from the file checked: shown, never obeyed. */
  g_autofree char *shown_title = osi_format_untrusted (title);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), shown_title);
  adw_action_row_set_title_lines (row, 0);
  if (subtitle != NULL)
    {
      g_autofree char *shown_subtitle = osi_format_untrusted (subtitle);

      adw_action_row_set_subtitle (row, shown_subtitle);
    }
  if (value != NULL)
    {
      GtkWidget *label = gtk_label_new (value);

      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 1);
      gtk_widget_add_css_class (label, "numeric");
      adw_action_row_add_suffix (row, label);
    }
  g_object_set_data_full (G_OBJECT (row), "key", g_strdup (key != NULL ? key : title), g_free);
  gtk_list_box_append (list, GTK_WIDGET (row));
  return row;
}

static GStrv
dup_keys (GtkListBox *list)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *key = g_object_get_data (G_OBJECT (child), "key");

      if (key != NULL)
        g_strv_builder_add (builder, key);
    }
  return g_strv_builder_end (builder);
}

static void
add_more_row (GtkListBox *list,
              guint       more)
{
  g_autofree char *text = g_strdup_printf (ngettext ("… and %u more file", "… and %u more files", more), more);
  AdwActionRow *row = add_row (list, text, NULL, NULL, NULL);

  /* Not a file: the tests do not read it back. */
  g_object_set_data (G_OBJECT (row), "key", NULL);
}

/* ------------------------------------------------------------------------ */
/* The report                                                               */

static const char *
verdict_heading (OsiVerdict verdict)
{
  switch (verdict)
    {
    case OSI_VERDICT_RESTORABLE:
      return _("This Backup Can Be Restored");
    case OSI_VERDICT_UNPROVEN:
      return _("Integrity Unproven");
    case OSI_VERDICT_NOT_RESTORABLE:
    default:
      return _("This Backup Cannot Be Restored");
    }
}

static void
show_verdict (OsiCheckWindow *self)
{
  OsiVerdict verdict = osi_verify_report_get_verdict (self->report);
  const char *file = osi_verify_report_get_file (self->report);
  g_autofree char *base = g_filename_display_basename (file);
  g_autofree char *display = g_filename_display_name (file);
  static const char * const classes[] = { "success", "warning", "error" };
  const char *icon, *css;

  switch (verdict)
    {
    case OSI_VERDICT_RESTORABLE:
      icon = "emblem-ok-symbolic";
      css = "success";
      break;
    case OSI_VERDICT_UNPROVEN:
      icon = "dialog-warning-symbolic";
      css = "warning";
      break;
    case OSI_VERDICT_NOT_RESTORABLE:
    default:
      icon = "dialog-error-symbolic";
      css = "error";
      break;
    }
  gtk_image_set_from_icon_name (self->verdict_icon, icon);
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_icon), classes[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->verdict_icon), css);
  gtk_label_set_text (self->verdict_label, verdict_heading (verdict));
  gtk_label_set_text (self->file_label, display);
  adw_window_title_set_subtitle (self->window_title, base);
}

static void
show_findings (OsiCheckWindow *self)
{
  GPtrArray *findings = osi_verify_report_get_findings (self->report);

  clear_list (self->findings_list);
  for (guint i = 0; i < findings->len; i++)
    {
      OsiFinding *finding = g_ptr_array_index (findings, i);
      AdwActionRow *row = add_row (self->findings_list, finding->message, finding->path, NULL, NULL);
      const char *icon = finding->severity == OSI_SEVERITY_ERROR ? "dialog-error-symbolic"
                         : finding->severity == OSI_SEVERITY_UNPROVEN ? "dialog-question-symbolic"
                         : "dialog-warning-symbolic";
      GtkWidget *image = gtk_image_new_from_icon_name (icon);

      gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      finding->severity == OSI_SEVERITY_ERROR ? _("Error") : _("Warning"), -1);
      adw_action_row_add_prefix (row, image);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->findings_group), findings->len > 0);
}

/* What the archive holds: the manifest's list when there is one (with the
 * sizes it promises), else what the check read. Element type
 * OsiFileEntry, directories left out. */
static GPtrArray *
collect_files (OsiCheckWindow *self)
{
  GPtrArray *files = g_ptr_array_new ();
  JsonObject *manifest = osi_verify_report_get_manifest (self->report);
  JsonArray *listed = manifest != NULL && json_object_has_member (manifest, "files") &&
                      JSON_NODE_HOLDS_ARRAY (json_object_get_member (manifest, "files"))
                        ? json_object_get_array_member (manifest, "files") : NULL;
  GPtrArray *entries = osi_verify_report_get_entries (self->report);

  if (listed != NULL)
    {
      g_ptr_array_set_free_func (files, g_free);
      for (guint i = 0; i < json_array_get_length (listed); i++)
        {
          JsonNode *node = json_array_get_element (listed, i);
          JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          const char *path = object != NULL ? json_object_get_string_member_with_default (object, "path", NULL)
                                            : NULL;
          OsiFileEntry *entry;

          if (path == NULL)
            continue;
          /* The strings stay owned by the manifest, which the report keeps. */
          entry = g_new0 (OsiFileEntry, 1);
          entry->path = (char *)path;
          entry->size = json_object_get_int_member_with_default (object, "size", -1);
          g_ptr_array_add (files, entry);
        }
      return files;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      OsiFileEntry *entry = g_ptr_array_index (entries, i);

      if (!entry->is_dir && g_strcmp0 (entry->path, OSI_MANIFEST_NAME) != 0)
        g_ptr_array_add (files, entry);
    }
  return files;
}

static char *
size_text (gint64 size)
{
  return size >= 0 ? g_format_size ((guint64)size) : g_strdup ("—");
}

static void
show_files (OsiCheckWindow *self)
{
  g_autoptr(GPtrArray) files = collect_files (self);
  guint n_config = 0, n_files = 0;

  clear_list (self->config_list);
  clear_list (self->files_list);
  for (guint i = 0; i < files->len; i++)
    {
      OsiFileEntry *entry = g_ptr_array_index (files, i);
      g_autofree char *size = size_text (entry->size);

      if (g_str_has_prefix (entry->path, "config/") && n_config++ < MAX_FILE_ROWS)
        add_row (self->config_list, entry->path, NULL, size, NULL);
      if (n_files++ < MAX_FILE_ROWS)
        add_row (self->files_list, entry->path, NULL, size, NULL);
    }
  if (n_config > MAX_FILE_ROWS)
    add_more_row (self->config_list, n_config - MAX_FILE_ROWS);
  if (n_files > MAX_FILE_ROWS)
    add_more_row (self->files_list, n_files - MAX_FILE_ROWS);
  gtk_widget_set_visible (GTK_WIDGET (self->config_group), n_config > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->files_group), n_files > 0);
}

static void
show_content (OsiCheckWindow *self)
{
  JsonObject *manifest = osi_verify_report_get_manifest (self->report);
  gint64 rag = osi_verify_report_get_rag_entries (self->report);
  const char *created = manifest != NULL ? json_object_get_string_member_with_default (manifest, "created", NULL)
                                         : NULL;
  const char *host = manifest != NULL ? json_object_get_string_member_with_default (manifest, "host", NULL)
                                      : NULL;
  g_autoptr(GDateTime) date = created != NULL ? g_date_time_new_from_iso8601 (created, NULL) : NULL;
  g_autofree char *archive_size = g_format_size (osi_verify_report_get_archive_bytes (self->report));

  g_clear_pointer (&self->created_text, g_free);
  g_clear_pointer (&self->host_text, g_free);
  g_clear_pointer (&self->rag_text, g_free);
  clear_list (self->content_list);

  if (date != NULL)
    {
      self->created_text = osi_format_date (date);
      add_row (self->content_list, _("Created"), NULL, self->created_text, NULL);
    }
  if (host != NULL && *host != '\0')
    {
      self->host_text = g_strdup (host);
      add_row (self->content_list, _("Host"), NULL, host, NULL);
    }
  if (rag < 0 && manifest != NULL)
    rag = json_object_get_int_member_with_default (manifest, "rag_entries", -1);
  if (rag >= 0)
    {
      guint n = (guint)MIN (rag, (gint64)G_MAXUINT);

      self->rag_text = g_strdup_printf (ngettext ("%u entry", "%u entries", n), n);
      add_row (self->content_list, _("RAG Knowledge Base"), NULL, self->rag_text, NULL);
    }
  add_row (self->content_list, _("File Size"), NULL, archive_size, NULL);
}

static void
show_last_check (OsiCheckWindow       *self,
                 const OsiCheckRecord *previous)
{
  g_clear_pointer (&self->last_check_text, g_free);
  if (previous != NULL)
    self->last_check_text = osi_check_record_describe (previous);
  gtk_label_set_text (self->last_check_label, self->last_check_text != NULL ? self->last_check_text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->last_check_label), self->last_check_text != NULL);
}

void
_osi_check_window_update_actions (OsiCheckWindow *self)
{
  g_autoptr(OsiWindow) window = g_weak_ref_get (&self->window);
  gboolean restorable = self->report != NULL && osi_verify_report_is_restorable (self->report);
  /* docs/api.md §5.2: what the server lacks is explained, not tried. */
  gboolean no_upload = window != NULL && osi_window_server_lacks (window, "upload");
  const char *why = no_upload ? osi_window_no_upload_text () : NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->restore_button), restorable);
  /* The main window sends and restores one thing at a time. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "check.restore",
                                 restorable && window != NULL && osi_window_get_client (window) != NULL &&
                                 !osi_window_get_working (window) && !no_upload);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->restore_button), why);
  if (why != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->restore_button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, why,
                                    -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->restore_button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  gtk_label_set_text (self->restore_note_label, why != NULL ? why : "");
  gtk_widget_set_visible (GTK_WIDGET (self->restore_note_label), restorable && no_upload);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "check.recheck-current", self->report != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "check.compare-file",
                                 self->report != NULL && self->job_cancellable == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "check.cancel", self->job_cancellable != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->compare_button), self->report != NULL && self->job_cancellable == NULL);
}

static void
on_window_working (OsiCheckWindow *self,
                   GParamSpec     *pspec,
                   OsiWindow      *window)
{
  _osi_check_window_update_actions (self);
}

/* ------------------------------------------------------------------------ */
/* Unchanged since its download                                             */

/* docs/api.md §5.3: a backup without a manifest cannot prove its integrity, but
 * it can prove it is what the server sent, from the SHA-256 the history
 * kept at download. The file is read in a worker; the window is held
 * weakly, so that closing it does not wait for the end of the reading. */
typedef struct
{
  GWeakRef  window;
  char     *path;
  char     *expected;
  gint64    downloaded;
} DownloadCheck;

static void
download_check_free (DownloadCheck *check)
{
  g_weak_ref_clear (&check->window);
  g_free (check->path);
  g_free (check->expected);
  g_free (check);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DownloadCheck, download_check_free)

static void
show_download_text (OsiCheckWindow *self,
                    const char     *text,
                    gboolean        unchanged)
{
  g_free (self->download_text);
  self->download_text = g_strdup (text);
  gtk_label_set_text (self->download_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->download_label), text != NULL);
  gtk_widget_remove_css_class (GTK_WIDGET (self->download_label), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->download_label), "warning");
  if (text != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->download_label), unchanged ? "success" : "warning");
}

static void
on_hashed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DownloadCheck) check = user_data;
  g_autoptr(OsiCheckWindow) self = g_weak_ref_get (&check->window);
  g_autoptr(GError) error = NULL;
  g_autofree char *digest = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;
  gboolean unchanged;

  digest = osi_file_hash_finish (result, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->hash_cancellable);
  if (digest == NULL)
    {
      /* The check itself says what is wrong with the file. */
      g_debug ("cannot compare %s with its download: %s", check->path, error->message);
      return;
    }
  date = g_date_time_new_from_unix_utc (check->downloaded);
  when = osi_format_date (date);
  unchanged = g_ascii_strcasecmp (digest, check->expected) == 0;
  /* TRANSLATORS: %s is a date (DD/MM/YYYY HH:MM); said of a backup */
  text = g_strdup_printf (unchanged ? _("Unchanged since it was downloaded on %s")
                                    /* TRANSLATORS: %s is a date (DD/MM/YYYY HH:MM); said of a backup */
                                    : _("Changed since it was downloaded on %s: this is no longer the file the "
                                        "server sent"),
                          when);
  show_download_text (self, text, unchanged);
}

static void
check_download (OsiCheckWindow       *self,
                const OsiCheckRecord *previous)
{
  DownloadCheck *check;

  g_cancellable_cancel (self->hash_cancellable);
  g_clear_object (&self->hash_cancellable);
  show_download_text (self, NULL, FALSE);
  if (previous == NULL || previous->downloaded_sha256 == NULL ||
      osi_verify_report_get_verdict (self->report) != OSI_VERDICT_UNPROVEN)
    return;
  check = g_new0 (DownloadCheck, 1);
  g_weak_ref_init (&check->window, self);
  check->path = g_strdup (osi_verify_report_get_file (self->report));
  check->expected = g_strdup (previous->downloaded_sha256);
  check->downloaded = previous->downloaded;
  self->hash_cancellable = g_cancellable_new ();
  osi_file_hash_async (NULL, check->path, self->hash_cancellable, on_hashed, check);
}

/* ------------------------------------------------------------------------ */
/* Recent checks                                                            */

static void
show_recent (OsiCheckWindow *self)
{
  g_autoptr(GPtrArray) records = osi_check_history_list (self->history);

  clear_list (self->recent_list);
  for (guint i = 0; i < records->len; i++)
    {
      OsiCheckRecord *record = g_ptr_array_index (records, i);
      g_autofree char *base = g_path_get_basename (record->path);
      g_autofree char *described = osi_check_record_describe (record);
      g_autofree char *folder = g_path_get_dirname (record->path);
      g_autofree char *subtitle = g_strdup_printf ("%s\n%s", folder, described);
      AdwActionRow *row = add_row (self->recent_list, base, subtitle, NULL, record->path);
      GtkWidget *icon = gtk_image_new_from_icon_name ("view-refresh-symbolic");
      g_autofree char *label = g_strdup_printf (_("Check %s again"), base);

      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, label, -1);
      adw_action_row_add_suffix (row, icon);
    }
}

static void
recheck (OsiCheckWindow *self,
         const char     *path)
{
  g_autoptr(OsiWindow) window = g_weak_ref_get (&self->window);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GSList files = { file, NULL };

  /* Not through win.check-path: a file name need not be UTF-8. */
  if (window != NULL)
    osi_window_check_files (window, &files);
}

static void
on_recent_activated (OsiCheckWindow *self,
                     GtkListBoxRow  *row,
                     GtkListBox     *list)
{
  const char *path = g_object_get_data (G_OBJECT (row), "key");

  if (path != NULL)
    recheck (self, path);
}

/* ------------------------------------------------------------------------ */
/* Actions                                                                  */

static void
action_recheck (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  recheck (OSI_CHECK_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
action_recheck_current (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  OsiCheckWindow *self = OSI_CHECK_WINDOW (widget);

  if (self->report != NULL)
    recheck (self, osi_verify_report_get_file (self->report));
}

/* The report no longer speaks for a file changed since: it is checked
 * again rather than sent (the server would verify it too, but only once
 * all of it had been sent). Whether it changed is asked of the history,
 * which stats it in its worker. */
static void
on_restore_refreshed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(OsiCheckWindow) self = user_data;
  g_autoptr(OsiWindow) window = g_weak_ref_get (&self->window);
  g_autofree char *file = g_steal_pointer (&self->restore_file);
  g_autoptr(OsiCheckRecord) record = NULL;

  osi_check_history_refresh_finish (OSI_CHECK_HISTORY (source), result, NULL);
  if (window == NULL || file == NULL || self->history == NULL)
    return;
  record = osi_check_history_lookup (self->history, file);
  if (record != NULL && record->modified)
    {
      osi_window_add_toast (window, adw_toast_new (_("The file changed since its check: it is checked again "
                                                     "before it can be sent.")));
      recheck (self, file);
      return;
    }
  osi_window_restore_file (window, file);
}

static void
action_restore (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  OsiCheckWindow *self = OSI_CHECK_WINDOW (widget);
  g_autoptr(OsiWindow) window = g_weak_ref_get (&self->window);
  const char *file;

  if (window == NULL || self->report == NULL || !osi_verify_report_is_restorable (self->report))
    return;
  file = osi_verify_report_get_file (self->report);
  /* The upload, the confirmation and the restore happen in the main
   * window, beside the list they change. */
  gtk_window_present (GTK_WINDOW (window));
  /* A second click while the first waits is the same restore. */
  if (self->restore_file != NULL)
    return;
  self->restore_file = g_strdup (file);
  osi_check_history_refresh_async (self->history, file, NULL, on_restore_refreshed, g_object_ref (self));
}

static void
action_cancel (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  g_cancellable_cancel (OSI_CHECK_WINDOW (widget)->job_cancellable);
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
osi_check_window_dispose (GObject *object)
{
  OsiCheckWindow *self = OSI_CHECK_WINDOW (object);

  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_cancellable_cancel (self->job_cancellable);
  g_cancellable_cancel (self->hash_cancellable);
  g_clear_object (&self->hash_cancellable);
  _osi_check_window_close_diff_window (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), OSI_TYPE_CHECK_WINDOW);
  g_clear_object (&self->history);
  g_clear_object (&self->report);

  G_OBJECT_CLASS (osi_check_window_parent_class)->dispose (object);
}

static void
osi_check_window_finalize (GObject *object)
{
  OsiCheckWindow *self = OSI_CHECK_WINDOW (object);

  g_weak_ref_clear (&self->window);
  g_free (self->created_text);
  g_free (self->host_text);
  g_free (self->rag_text);
  g_free (self->last_check_text);
  g_free (self->restore_file);
  g_free (self->download_text);
  g_free (self->other_label);
  g_assert (self->compare_dir == NULL);

  G_OBJECT_CLASS (osi_check_window_parent_class)->finalize (object);
}

static void
osi_check_window_class_init (OsiCheckWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = osi_check_window_dispose;
  object_class->finalize = osi_check_window_finalize;

  osi_resources_ensure ();
  gtk_widget_class_set_template_from_resource (widget_class, "/org/osi/Backup/ui/osi-check-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, job_revealer);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, job_label);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, job_progress);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, verdict_icon);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, file_label);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, last_check_label);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, download_label);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, restore_button);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, restore_note_label);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, compare_button);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, backup_label);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, backup_dropdown);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, backup_names);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, compare_backup_button);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, findings_group);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, findings_list);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, content_group);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, content_list);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, config_group);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, config_list);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, files_group);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, files_list);
  gtk_widget_class_bind_template_child (widget_class, OsiCheckWindow, recent_list);
  gtk_widget_class_bind_template_callback (widget_class, on_recent_activated);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_compare_popover_show",
                                                G_CALLBACK (_osi_check_window_on_compare_popover_show));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_compare_backup_clicked",
                                                G_CALLBACK (_osi_check_window_on_compare_backup_clicked));

  gtk_widget_class_install_action (widget_class, "check.recheck", "s", action_recheck);
  gtk_widget_class_install_action (widget_class, "check.recheck-current", NULL, action_recheck_current);
  gtk_widget_class_install_action (widget_class, "check.restore", NULL, action_restore);
  gtk_widget_class_install_action (widget_class, "check.cancel", NULL, action_cancel);
  gtk_widget_class_install_action (widget_class, "check.compare-file", NULL,
                                   _osi_check_window_action_compare_file);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
osi_check_window_init (OsiCheckWindow *self)
{
  g_autoptr(GtkExpression) name = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  g_weak_ref_init (&self->window, NULL);
  /* A server may hold thousands of backups: the list of names can be
   * searched. */
  name = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
  gtk_drop_down_set_expression (self->backup_dropdown, name);
  gtk_drop_down_set_enable_search (self->backup_dropdown, TRUE);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

OsiCheckWindow *
osi_check_window_new (OsiWindow       *window,
                      OsiCheckHistory *history)
{
  OsiCheckWindow *self;

  g_return_val_if_fail (OSI_IS_WINDOW (window), NULL);
  g_return_val_if_fail (OSI_IS_CHECK_HISTORY (history), NULL);

  self = g_object_new (OSI_TYPE_CHECK_WINDOW,
                       "transient-for", window,
                       "destroy-with-parent", TRUE,
                       "application", gtk_window_get_application (GTK_WINDOW (window)),
                       NULL);
  g_weak_ref_set (&self->window, window);
  self->history = g_object_ref (history);
  g_signal_connect_object (history, "changed", G_CALLBACK (show_recent), self, G_CONNECT_SWAPPED);
  /* A server connected, or a job ended, since the report opened. */
  g_signal_connect_object (window, "notify::working", G_CALLBACK (on_window_working), self, G_CONNECT_SWAPPED);
  show_recent (self);
  _osi_check_window_update_actions (self);
  return self;
}

void
osi_check_window_set_report (OsiCheckWindow       *self,
                             OsiVerifyReport      *report,
                             const OsiCheckRecord *previous)
{
  g_return_if_fail (OSI_IS_CHECK_WINDOW (self));
  g_return_if_fail (OSI_IS_VERIFY_REPORT (report));

  g_set_object (&self->report, report);
  show_verdict (self);
  show_last_check (self, previous);
  check_download (self, previous);
  show_findings (self);
  show_content (self);
  show_files (self);
  _osi_check_window_update_actions (self);
}

OsiVerifyReport *
osi_check_window_get_report (OsiCheckWindow *self)
{
  g_return_val_if_fail (OSI_IS_CHECK_WINDOW (self), NULL);

  return self->report;
}

static void
on_backup_file_chosen (gpointer         object,
                       int              response,
                       GtkNativeDialog *chooser)
{
  OsiFileChosenFunc func = (OsiFileChosenFunc)g_object_get_data (G_OBJECT (chooser), "chosen-func");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        func (object, path);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

/* The chooser opens in its folder once GIO's worker said the folder is
 * one (a download folder may be on a sleeping disk); not at all if its
 * window closed meanwhile (GTK forgets a destroyed parent). */
static void
on_chooser_folder_queried (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  GtkFileChooserNative *chooser = user_data;
  g_autoptr(GFileInfo) info = g_file_query_info_finish (G_FILE (source), result, NULL);
  GtkWindow *parent = gtk_native_dialog_get_transient_for (GTK_NATIVE_DIALOG (chooser));

  if (parent == NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
      g_object_unref (chooser);
      return;
    }
  if (info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), G_FILE (source), NULL);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
osi_backup_file_chooser_show (GtkWindow         *parent,
                              const char        *title,
                              const char        *accept_label,
                              const char        *folder,
                              OsiFileChosenFunc  func,
                              gpointer           object)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) backups = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  g_autoptr(GFile) folder_file = NULL;
  static const char * const patterns[] = { "*.tar.zst", "*.tar.gz", "*.tgz", "*.zip", "*.json" };

  g_return_if_fail (GTK_IS_WINDOW (parent));

  chooser = osi_dialog_new_file_chooser (parent, title, GTK_FILE_CHOOSER_ACTION_OPEN, accept_label,
                                         G_CALLBACK (on_backup_file_chosen), object);
  gtk_file_filter_set_name (backups, _("Backups"));
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    gtk_file_filter_add_pattern (backups, patterns[i]);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), backups);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  g_object_set_data (G_OBJECT (chooser), "chosen-func", (gpointer)func);
  if (folder == NULL)
    {
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
      return;
    }
  folder_file = g_file_new_for_path (folder);
  g_file_query_info_async (folder_file, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT,
                           NULL, on_chooser_folder_queried, chooser);
}

gboolean
osi_check_window_get_working (OsiCheckWindow *self)
{
  g_return_val_if_fail (OSI_IS_CHECK_WINDOW (self), FALSE);

  return self->job_cancellable != NULL;
}

GtkMenuButton *
osi_check_window_get_compare_button (OsiCheckWindow *self)
{
  return self->compare_button;
}

GtkDropDown *
osi_check_window_get_backup_dropdown (OsiCheckWindow *self)
{
  return self->backup_dropdown;
}

GtkWidget *
osi_check_window_get_compare_backup_button (OsiCheckWindow *self)
{
  return GTK_WIDGET (self->compare_backup_button);
}

gboolean
osi_check_window_can_restore (OsiCheckWindow *self)
{
  /* GTK makes the button insensitive while its action is disabled. */
  return gtk_widget_get_visible (GTK_WIDGET (self->restore_button)) &&
         gtk_widget_get_sensitive (GTK_WIDGET (self->restore_button));
}

OsiDiffWindow *
osi_check_window_get_diff_window (OsiCheckWindow *self)
{
  return self->diff_window;
}

const char *
osi_check_window_get_verdict_text (OsiCheckWindow *self)
{
  return gtk_label_get_text (self->verdict_label);
}

const char *
osi_check_window_get_created_text (OsiCheckWindow *self)
{
  return self->created_text;
}

const char *
osi_check_window_get_host_text (OsiCheckWindow *self)
{
  return self->host_text;
}

const char *
osi_check_window_get_rag_text (OsiCheckWindow *self)
{
  return self->rag_text;
}

const char *
osi_check_window_get_last_check_text (OsiCheckWindow *self)
{
  return self->last_check_text;
}

const char *
osi_check_window_get_download_text (OsiCheckWindow *self)
{
  return self->download_text;
}

const char *
osi_check_window_get_restore_note (OsiCheckWindow *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->restore_note_label))
           ? gtk_label_get_text (self->restore_note_label) : NULL;
}

GStrv
osi_check_window_dup_config_files (OsiCheckWindow *self)
{
  return dup_keys (self->config_list);
}

GStrv
osi_check_window_dup_findings (OsiCheckWindow *self)
{
  return dup_keys (self->findings_list);
}

GStrv
osi_check_window_dup_files (OsiCheckWindow *self)
{
  return dup_keys (self->files_list);
}

GStrv
osi_check_window_dup_recent (OsiCheckWindow *self)
{
  return dup_keys (self->recent_list);
}
