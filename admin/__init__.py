"""The admin panel (sqladmin at /admin): administrators and IG officers, through the gate."""
