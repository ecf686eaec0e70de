from mia_desktop.cli import main

raise SystemExit(main())
