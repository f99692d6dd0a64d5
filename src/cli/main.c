/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-cli.h"

int
main (int    argc,
      char **argv)
{
  osi_cli_init_i18n ();
  return osi_cli_run (argc, argv);
}
