from tools.generate.dashboard.cli import main

raise SystemExit(main())
