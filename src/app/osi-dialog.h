/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The app's message dialogs end the same way, whoever asks. */

/* A question: Cancel, the default and the answer to Escape, beside the
 * response that does it (label, appearance). on_response (object,
 * response) is called while object lives. Presents dialog. */
void  osi_dialog_present_confirmation (AdwMessageDialog      *dialog,
                                       const char            *response,
                                       const char            *label,
                                       AdwResponseAppearance  appearance,
                                       GCallback              on_response,
                                       gpointer               object);
/* A message with only Close. Presents dialog. */
void  osi_dialog_present_message      (AdwMessageDialog      *dialog);

/* A modal file chooser with Cancel beside accept_label; on_response
 * (object, response, chooser) is called while object lives. Not shown
 * yet: the caller adds its filters or folder first. */
GtkFileChooserNative *osi_dialog_new_file_chooser (GtkWindow            *parent,
                                                   const char           *title,
                                                   GtkFileChooserAction  action,
                                                   const char           *accept_label,
                                                   GCallback             on_response,
                                                   gpointer              object);

G_END_DECLS
