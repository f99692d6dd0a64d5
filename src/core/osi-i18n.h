/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The locale of the environment and our translations, first thing in
 * main (): from $OSI_BACKUP_LOCALEDIR when set (`meson devenv` and the
 * tests point it at the build's), else from where they are installed. */
void osi_i18n_init (void);

G_END_DECLS
