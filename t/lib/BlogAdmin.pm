package BlogAdmin;

# Helpers for the admin panel and comment tests: a site with an admin
# location and ttl.db, users, a cookie jar, form and multipart POSTs.
# Core Perl only, on top of BlogTest.

use strict;
use warnings;

use Exporter 'import';
use BlogTest;

our @EXPORT = qw(admin_site add_user jar_get jar_post login_as csrf_of
                 urlencode multipart cookie_attrs);

sub urlencode {
    my ($s) = @_;
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-_.~ ])/sprintf('%%%02X', ord $1)/ge;
    $s =~ tr/ /+/;
    return $s;
}

# A site with "blog_comments on", ttl.db and the panel at /admin/;
# extra => more directives for the server block, email => the e-mail
# address of its user "admin".
sub admin_site {
    my (%opt) = @_;
    my $site = new_site(%opt, location => "blog_comments on;\n"
                                        . ($opt{location} // ''));
    my $d = $site->dir;
    $site->{server} = "blog_ttl_db $d/ttl.db;\n"
        . ($opt{extra} // '')
        . "location /admin/ { blog_admin $d/data.db; }\n";
    $site->{ttl} = "$d/ttl.db";
    add_user($site, 'admin', 'correct horse battery', $opt{email});
    return $site;
}

sub add_user {
    my ($site, $name, $password, $email) = @_;
    open my $fh, '|-', "$BlogTest::BUILD/blogctl", '-d', $site->db, 'user',
        'add', $name, defined $email ? $email : () or die "blogctl: $!";
    print $fh "$password\n";
    close $fh or die "blogctl user add $name failed";
}

# Set-Cookie headers (joined by ", " by the client) into the jar.
sub take_cookies {
    my ($jar, $r) = @_;
    my $h = $r->{headers}{'set-cookie'} // return;
    for my $c (split /,\s*(?=[A-Za-z_]+=)/, $h) {
        my ($name, $value) = $c =~ /^([^=]+)=([^;]*)/ or next;
        if ($c =~ /Max-Age=0\b/ || $value eq '') {
            delete $jar->{$name};
        } else {
            $jar->{$name} = $value;
        }
    }
}

# The attributes of cookie $name as set by response $r.
sub cookie_attrs {
    my ($r, $name) = @_;
    my $h = $r->{headers}{'set-cookie'} // return '';
    for my $c (split /,\s*(?=[A-Za-z_]+=)/, $h) {
        return $c if $c =~ /^\Q$name\E=/;
    }
    return '';
}

sub cookie_header {
    my ($jar) = @_;
    return join '; ', map { "$_=$jar->{$_}" } sort keys %$jar;
}

sub jar_get {
    my ($site, $jar, $path, %headers) = @_;
    $headers{Cookie} = cookie_header($jar) if %$jar;
    my $r = $site->get($path, %headers);
    take_cookies($jar, $r);
    return $r;
}

# POST fields (an array ref of name => value pairs, in order; a name
# given again replaces its earlier value, so tests can vary a base form).
sub jar_post {
    my ($site, $jar, $path, $fields, %headers) = @_;
    my @f = @$fields;
    my (@order, %value);
    while (@f) {
        my ($k, $v) = splice @f, 0, 2;
        push @order, $k unless exists $value{$k};
        $value{$k} = $v;
    }
    my @pairs = map { urlencode($_) . '=' . urlencode($value{$_}) } @order;
    $headers{Cookie} = cookie_header($jar) if %$jar;
    $headers{'Content-Type'} //= 'application/x-www-form-urlencoded';
    $headers{_body} = join '&', @pairs;
    my $r = $site->request('POST', $path, %headers);
    take_cookies($jar, $r);
    return $r;
}

sub csrf_of {
    my ($body) = @_;
    my ($t) = $body =~ /name="csrf" value="([0-9a-f]{64})"/;
    return $t;
}

# Signs in; returns (response of the POST, jar).
sub login_as {
    my ($site, $name, $password, $jar) = @_;
    $jar //= {};
    my $page = jar_get($site, $jar, '/admin/login');
    my $r = jar_post($site, $jar, '/admin/login',
                     [csrf => csrf_of($page->{body}) // '', name => $name,
                      password => $password]);
    return ($r, $jar);
}

# A multipart/form-data body: parts are [name, value] or
# [name, content, filename, type].
sub multipart {
    my (@parts) = @_;
    my $b = 'b0undary' . int(rand(1e9));
    my $body = '';
    for my $p (@parts) {
        my ($name, $value, $file, $type) = @$p;
        $body .= "--$b\r\nContent-Disposition: form-data; name=\"$name\""
               . (defined $file ? "; filename=\"$file\"" : '') . "\r\n"
               . (defined $type ? "Content-Type: $type\r\n" : '')
               . "\r\n$value\r\n";
    }
    $body .= "--$b--\r\n";
    return ("multipart/form-data; boundary=$b", $body);
}

1;
