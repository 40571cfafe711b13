"""4.8 机构拆分合并: moving a community's retirees to another community of the same street/town."""
