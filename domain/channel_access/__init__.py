"""Who a channel app acts for (issue 20): the retiree assertions an app signs, their one-time use, and which apps a
retiree uses (the apps their notifications are pushed to)."""
