#!/usr/bin/perl
# Social cards: the jobrunner's 1200x630 PNG of a post without a picture,
# stored once by what it shows, made again when the title changes, none
# when the theme turns them off; the post's og:image points at it.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use HTML::Parser;
use BlogTest;

my $THEME = "$FindBin::Bin/../conf/theme";

sub post_md {
    my ($title, $body) = @_;
    return "---\ntitle: \"$title\"\ndate: 2026-10-01\n---\n"
        . ($body // "Words only.\n");
}

sub og_image {
    my ($html) = @_;
    my %meta;
    my $p = HTML::Parser->new(api_version => 3, start_h => [sub {
        my ($tag, $attr) = @_;
        $meta{$attr->{property}} //= $attr->{content}
            if $tag eq 'meta' && $attr->{property};
    }, 'tagname, attr']);
    $p->parse($html);
    $p->eof;
    return \%meta;
}

# the card jobs in the queue, by state
sub card_jobs {
    my ($site) = @_;
    return sql($site->db, "SELECT count(*) FROM jobs WHERE kind = 'card'");
}

sub card_row {
    my ($site, $slug) = @_;
    my $row = sql($site->db, "SELECT c.path || ' ' || c.title FROM cards c"
        . " JOIN posts p ON p.id = c.post_id WHERE p.slug = '$slug'");
    return $row eq '' ? undef : $row;
}

sub wait_card {
    my ($site, $slug, $title) = @_;
    return wait_for(sub {
        my $row = card_row($site, $slug) // return 0;
        return $row =~ / \Q$title\E$/;
    }, 30);
}

my $site = new_site(posts => {
    'plain.md' => post_md('A card for me'),
    'twin.md'  => post_md('A card for me'),
    'pictured.md' => post_md('Has a picture', "![a](/media/a.png)\n"),
});
sql($site->db, "INSERT OR REPLACE INTO settings VALUES ('title', 'Card & Co')");
$site->start;

my $h = og_image($site->get('/posts/plain')->{body});
ok !$h->{'og:image'}, 'no og:image before the card is made';

$site->start_jobrunner("theme = $THEME\n");

ok wait_card($site, 'plain', 'A card for me'), 'the card is made'
    or diag $site->jobrunner_log;
ok wait_card($site, 'twin', 'A card for me'), 'the twin post has one too';
my ($path) = split / /, card_row($site, 'plain');
like $path, qr{^cards/[0-9a-f]{16}\.png$}, 'named by its hash, under cards/';
is +(split / /, card_row($site, 'twin'))[0], $path, 'same title and site: the same file';
is sql($site->db, "SELECT count(*) FROM media WHERE path LIKE 'cards/%'"), 0,
    'cards get no thumbnails of their own';
my @files = glob($site->media . '/cards/*.png');
is scalar @files, 1, 'stored once';
ok !defined card_row($site, 'pictured'), 'no card for a post with a picture';
is sql($site->db, "SELECT count(*) FROM jobs j JOIN posts p ON j.payload LIKE"
    . " '%\"post\":' || p.id || ',%' WHERE j.kind = 'card' AND p.slug = 'pictured'"), 0,
    'no job for it either';

# the file: a 1200x630 PNG, served like other media
my $file = $site->media . "/$path";
my $info = `vipsheader -a '$file' 2>&1`;
like $info, qr/^width: 1200$/m, 'width 1200';
like $info, qr/^height: 630$/m, 'height 630';
is substr(BlogTest::read_file($file), 0, 8), "\x89PNG\r\n\x1a\n", 'a PNG file';
# in the theme's colours (card.ini: background #0b6e4f, foreground #fdfdfc,
# accent #e4e4e0): the background at a corner, the accent's band at the
# foot, and the title in the foreground somewhere between
sub pixel { my @v = split ' ', `vips getpoint '$file' $_[0] $_[1] 2>&1`; return "@v[0 .. 2]" }
is pixel(4, 4), '11 110 79', 'the background, in the theme\'s colour';
is pixel(600, 625), '228 228 224', 'the accent\'s band at the foot';
my $fg = `vips extract_area '$file' @{[ $site->dir ]}/title.v 0 0 1200 400 2>&1 && vips max @{[ $site->dir ]}/title.v 2>&1`;
is $fg + 0, 253, 'the title, in the foreground colour';
my $r = $site->get("/media/$path");
is $r->{status}, 200, 'served under /media/';
like $r->{headers}{'content-type'}, qr{^image/png}, 'as image/png';

# the post's previews point at it
$h = og_image($site->get('/posts/plain')->{body});
is $h->{'og:image'}, "http://localhost/media/$path", 'og:image is the card';
is $h->{'og:image:width'}, '1200', 'og:image:width';
is $h->{'og:image:height'}, '630', 'og:image:height';
is og_image($site->get('/posts/pictured')->{body})->{'og:image'},
    'http://localhost/media/a.png', 'a post with a picture keeps its own';

# stored once: a restart scans again and runs no second job
my $jobs = card_jobs($site);
is $jobs, 2, 'one job per post';
my $mtime = (stat $file)[9];
$site->stop_jobrunner;
sleep 1;
$site->start_jobrunner("theme = $THEME\n");
sleep 3;
is card_jobs($site), $jobs, 'no second job after a restart';
is +(stat $file)[9], $mtime, 'the file was not written again';

# a new title: a new card, and the page never shows the old one for it
BlogTest::write_file($site->dir . '/posts/plain.md', post_md('A brand new title'));
BlogTest::blogctl('-d', $site->db, 'import', $site->dir . '/posts');
$h = og_image($site->get('/posts/plain')->{body});
isnt $h->{'og:image'} // '', "http://localhost/media/$path",
    'the old card is not used for the new title';
ok wait_card($site, 'plain', 'A brand new title'), 'a card for the new title'
    or diag $site->jobrunner_log;
my ($new) = split / /, card_row($site, 'plain');
isnt $new, $path, 'another file';
ok -s $site->media . "/$new", 'it exists';
is og_image($site->get('/posts/plain')->{body})->{'og:image'},
    "http://localhost/media/$new", 'og:image follows';
is card_jobs($site), $jobs + 1, 'one more job';
$site->stop_jobrunner;

# the theme turns cards off: no job, no card
my $theme = $site->dir . '/theme';
system('cp', '-r', $THEME, $theme) == 0 or die 'cp theme';
BlogTest::write_file("$theme/card.ini", "[card]\nenabled = false\n");
my $off = new_site(theme => $theme, posts => { 'plain.md' => post_md('No card') });
$off->start;
$off->start_jobrunner("theme = $theme\n");
sleep 3;
is card_jobs($off), 0, 'cards off: no job';
like $off->jobrunner_log, qr/social cards are off/, 'the log says so';
ok !og_image($off->get('/posts/plain')->{body})->{'og:image'}, 'and no og:image';
$off->stop_jobrunner;

# no theme in the jobrunner's configuration: no cards
my $bare = new_site(posts => { 'plain.md' => post_md('No theme') });
$bare->start;
$bare->start_jobrunner;
sleep 3;
is card_jobs($bare), 0, 'no theme: no job';
like $bare->jobrunner_log, qr/social cards are off \(no \[jobrunner\] theme\)/,
    'the log says why';
$bare->stop_jobrunner;

# a bad card.ini stops the jobrunner with its file and line
BlogTest::write_file("$theme/card.ini", "[card]\nenabled = true\nbackground = green\n");
$off->write_conf;
BlogTest::write_file($off->dir . '/conf/jobrunner.conf',
                     $off->jobrunner_conf("theme = $theme\n"));
my $out = `$BlogTest::BUILD/jobrunner -c @{[ $off->dir ]}/conf/jobrunner.conf 2>&1`;
isnt $? >> 8, 0, 'a bad card.ini: the jobrunner does not start';
like $out . $off->jobrunner_log, qr{card\.ini:3: invalid background "green"},
    'it names the file and line';

done_testing;
