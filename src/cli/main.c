/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-cli.h"
#include "osi-i18n.h"

int
main (int    argc,
      char **argv)
{
  osi_i18n_init ();
  return osi_cli_run (argc, argv);
}
