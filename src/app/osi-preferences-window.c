/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-preferences"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-a11y.h"
#include "osi-dialog.h"
#include "osi-preferences-window.h"
#include "osi-resources.h"
#include "osi-server-row.h"

struct _OsiPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  OsiProfileStore      *profiles;
  GCancellable         *cancellable;
  GtkFileChooserNative *folder_chooser;

  AdwComboRow          *page_size_row;
  AdwActionRow         *download_row;
  GtkListBox           *servers_list;
  AdwPreferencesPage   *servers_page;
};

G_DEFINE_FINAL_TYPE (OsiPreferencesWindow, osi_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The nicks of the enum org.osi.Backup.PageSize, in the combo's order. */
static const int page_sizes[] = { 10, 25, 50, 100 };

static void
on_items_per_page_changed (OsiPreferencesWindow *self)
{
  int value = g_settings_get_enum (self->settings, "items-per-page");

  for (guint i = 0; i < G_N_ELEMENTS (page_sizes); i++)
    if (page_sizes[i] == value && adw_combo_row_get_selected (self->page_size_row) != i)
      adw_combo_row_set_selected (self->page_size_row, i);
}

static void
on_page_size_selected (OsiPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->page_size_row);

  /* Also called while the template is built, before there are settings. */
  if (self->settings == NULL || selected >= G_N_ELEMENTS (page_sizes))
    return;
  if (g_settings_get_enum (self->settings, "items-per-page") != page_sizes[selected])
    g_settings_set_enum (self->settings, "items-per-page", page_sizes[selected]);
}

static const char *
default_download_folder (void)
{
  const char *folder = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  return folder != NULL ? folder : g_get_home_dir ();
}

static void
on_download_folder_changed (OsiPreferencesWindow *self)
{
  g_autofree char *folder = g_settings_get_string (self->settings, "download-folder");
  g_autofree char *shown = g_filename_display_name (folder[0] != '\0' ? folder : default_download_folder ());

  adw_action_row_set_subtitle (self->download_row, shown);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.reset-download-folder", folder[0] != '\0');
}

static void
on_folder_chooser_response (OsiPreferencesWindow *self,
                            int                   response)
{
  g_autoptr(GtkFileChooserNative) chooser = g_steal_pointer (&self->folder_chooser);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = folder != NULL ? g_file_get_path (folder) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "download-folder", path);
    }
}

static void
choose_download_folder_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  OsiPreferencesWindow *self = OSI_PREFERENCES_WINDOW (widget);
  g_autofree char *current = g_settings_get_string (self->settings, "download-folder");
  g_autoptr(GFile) folder = NULL;

  if (self->folder_chooser != NULL)
    return;

  self->folder_chooser = osi_dialog_new_file_chooser (GTK_WINDOW (self), _("Choose a Download Folder"),
                                                      GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"),
                                                      G_CALLBACK (on_folder_chooser_response), self);
  folder = g_file_new_for_path (current[0] != '\0' ? current : default_download_folder ());
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->folder_chooser), folder, NULL);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->folder_chooser));
}

static void
reset_download_folder_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  OsiPreferencesWindow *self = OSI_PREFERENCES_WINDOW (widget);

  g_settings_reset (self->settings, "download-folder");
}

static void
add_server_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  OsiPreferencesWindow *self = OSI_PREFERENCES_WINDOW (widget);
  OsiProfile *profile;
  GtkListBoxRow *row = NULL;

  profile = osi_profile_store_add (self->profiles, _("New server"), "https://", NULL);

  /* The list made its row while the store announced the profile. */
  for (guint i = 0; (row = gtk_list_box_get_row_at_index (self->servers_list, i)) != NULL; i++)
    if (OSI_IS_SERVER_ROW (row) && osi_server_row_get_profile (OSI_SERVER_ROW (row)) == profile)
      break;
  if (row == NULL)
    return;

  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (self),
                                           ADW_PREFERENCES_PAGE (self->servers_page));
  osi_server_row_edit (OSI_SERVER_ROW (row));
}

static GtkWidget *
create_server_row (gpointer item,
                   gpointer user_data)
{
  OsiPreferencesWindow *self = user_data;

  return osi_server_row_new (self->profiles, OSI_PROFILE (item), self->cancellable);
}

/* The page follows settings and lists profiles' servers. */
static void
show_settings (OsiPreferencesWindow *self,
               GSettings            *settings,
               OsiProfileStore      *profiles)
{
  self->settings = g_object_ref (settings);
  self->profiles = g_object_ref (profiles);

  g_signal_connect_object (self->settings, "changed::items-per-page",
                           G_CALLBACK (on_items_per_page_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::download-folder",
                           G_CALLBACK (on_download_folder_changed), self, G_CONNECT_SWAPPED);
  on_items_per_page_changed (self);
  on_download_folder_changed (self);

  gtk_list_box_bind_model (self->servers_list, G_LIST_MODEL (self->profiles),
                           create_server_row, self, NULL);
}

static void
osi_preferences_window_dispose (GObject *object)
{
  OsiPreferencesWindow *self = OSI_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->folder_chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->folder_chooser));
      g_clear_object (&self->folder_chooser);
    }
  if (self->servers_list != NULL)
    gtk_list_box_bind_model (self->servers_list, NULL, NULL, NULL, NULL);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), OSI_TYPE_PREFERENCES_WINDOW);

  g_clear_object (&self->settings);
  g_clear_object (&self->profiles);

  G_OBJECT_CLASS (osi_preferences_window_parent_class)->dispose (object);
}

static void
osi_preferences_window_finalize (GObject *object)
{
  OsiPreferencesWindow *self = OSI_PREFERENCES_WINDOW (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (osi_preferences_window_parent_class)->finalize (object);
}

static void
osi_preferences_window_class_init (OsiPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = osi_preferences_window_dispose;
  object_class->finalize = osi_preferences_window_finalize;

  /* Tests make the window without an application to register them. */
  osi_resources_ensure ();
  osi_a11y_ensure ();
  gtk_widget_class_set_template_from_resource (widget_class, "/org/osi/Backup/ui/osi-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OsiPreferencesWindow, page_size_row);
  gtk_widget_class_bind_template_child (widget_class, OsiPreferencesWindow, download_row);
  gtk_widget_class_bind_template_child (widget_class, OsiPreferencesWindow, servers_list);
  gtk_widget_class_bind_template_child (widget_class, OsiPreferencesWindow, servers_page);
  gtk_widget_class_bind_template_callback (widget_class, on_page_size_selected);

  gtk_widget_class_install_action (widget_class, "prefs.add-server", NULL, add_server_action);
  gtk_widget_class_install_action (widget_class, "prefs.choose-download-folder", NULL,
                                   choose_download_folder_action);
  gtk_widget_class_install_action (widget_class, "prefs.reset-download-folder", NULL,
                                   reset_download_folder_action);

  /* The row's class is made here, so that its actions exist before any
   * builder or test looks for them. */
  g_type_ensure (OSI_TYPE_SERVER_ROW);
}

static void
osi_preferences_window_init (OsiPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
}

/* parent may be NULL. */
OsiPreferencesWindow *
osi_preferences_window_new (GtkWindow       *parent,
                            GSettings       *settings,
                            OsiProfileStore *profiles)
{
  OsiPreferencesWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (OSI_IS_PROFILE_STORE (profiles), NULL);

  self = g_object_new (OSI_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  show_settings (self, settings, profiles);
  return self;
}
