/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-dialog.h"

void
osi_dialog_present_confirmation (AdwMessageDialog      *dialog,
                                 const char            *response,
                                 const char            *label,
                                 AdwResponseAppearance  appearance,
                                 GCallback              on_response,
                                 gpointer               object)
{
  g_return_if_fail (ADW_IS_MESSAGE_DIALOG (dialog));
  g_return_if_fail (response != NULL && label != NULL);
  g_return_if_fail (G_IS_OBJECT (object));

  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), response, label, NULL);
  adw_message_dialog_set_response_appearance (dialog, response, appearance);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", on_response, object, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
osi_dialog_present_message (AdwMessageDialog *dialog)
{
  g_return_if_fail (ADW_IS_MESSAGE_DIALOG (dialog));

  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  adw_message_dialog_set_default_response (dialog, "close");
  adw_message_dialog_set_close_response (dialog, "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

GtkFileChooserNative *
osi_dialog_new_file_chooser (GtkWindow            *parent,
                             const char           *title,
                             GtkFileChooserAction  action,
                             const char           *accept_label,
                             GCallback             on_response,
                             gpointer              object)
{
  GtkFileChooserNative *chooser;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_OBJECT (object), NULL);

  chooser = gtk_file_chooser_native_new (title, parent, action, accept_label, _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", on_response, object, G_CONNECT_SWAPPED);
  return chooser;
}
