#!/usr/bin/ruby
# BBB runs every script in /usr/local/bigbluebutton/core/scripts/post_publish/ after publishing a recording,
# with `-m <recordID>` (and more options in recent versions). This hands them to scalelite_upload.py, which
# sends the recording to the load balancer; installed next to it in /usr/local/bigbluebutton/core/scripts/.
exec("python3", File.join(__dir__, "..", "scalelite_upload.py"), *ARGV)
