/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>

#include <glib/gi18n-lib.h>

#include "osi-application.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(OsiApplication) app = NULL;
  /* `meson devenv` and the tests point at the translations of the build. */
  const char *localedir = g_getenv ("OSI_BACKUP_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = osi_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
