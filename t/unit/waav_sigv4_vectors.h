/*
 * Test data: cases of AWS's Signature Version 4 test suite
 * ("aws-sig-v4-test-suite", formerly at docs.aws.amazon.com/general/latest/
 * gr/signature-v4-test-suite.html), as the AWS SDKs keep it:
 *   - the signatures: aws/aws-sdk-js-v3 packages/signature-v4/src/
 *     suite.fixture.ts (the suite's *.authz files);
 *   - post-sts-header-before: awslabs/aws-c-auth tests/
 *     aws-signing-test-suite/v4/post-sts-header-before/
 *     {request,header-signed-request}.txt;
 *   - the canonical requests of get-vanilla, post-x-www-form-urlencoded
 *     and the normalize-path cases: the suite's *.creq files.
 * Every case: access key AKIDEXAMPLE, secret
 * wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service
 * "service", host example.amazonaws.com, 2015-08-30T12:36:00Z.  Headers
 * are "Name: value" lines (Host and X-Amz-Date are the signer's own).
 */

#ifndef WAAV_SIGV4_VECTORS_H
#define WAAV_SIGV4_VECTORS_H

#define SUITE_AKID    "AKIDEXAMPLE"
#define SUITE_SECRET  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_REGION  "us-east-1"
#define SUITE_HOST    "example.amazonaws.com"
#define SUITE_NOW     1440938160      /* 20150830T123600Z */
#define SUITE_SCOPE   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/" \
                      "us-east-1/service/aws4_request, "

#define SUITE_TOKEN                                                         \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWs" \
    "KWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGde" \
    "ehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8T" \
    "x6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FD" \
    "rypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

typedef struct {
    const char  *name;
    const char  *method;
    const char  *path;
    const char  *args;              /* as sent: percent-encoded */
    const char  *headers[4];
    const char  *body;
    const char  *token;
    const char  *authz;             /* after SUITE_SCOPE */
} suite_case_t;

static const suite_case_t  suite_cases[] = {
    { "get-vanilla", "GET", "/", "", { NULL }, "", NULL,
      "SignedHeaders=host;x-amz-date, Signature="
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },

    { "get-vanilla-query-order-key-case", "GET", "/",
      "Param2=value2&Param1=value1", { NULL }, "", NULL,
      "SignedHeaders=host;x-amz-date, Signature="
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },

    { "get-vanilla-query-unreserved", "GET", "/",
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      { NULL }, "", NULL,
      "SignedHeaders=host;x-amz-date, Signature="
      "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },

    { "get-vanilla-utf8-query", "GET", "/", "%E1%88%B4=bar", { NULL }, "",
      NULL,
      "SignedHeaders=host;x-amz-date, Signature="
      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },

    { "get-utf8", "GET", "/\xe1\x88\xb4", "", { NULL }, "", NULL,
      "SignedHeaders=host;x-amz-date, Signature="
      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },

    { "get-unreserved", "GET",
      "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      "", { NULL }, "", NULL,
      "SignedHeaders=host;x-amz-date, Signature="
      "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },

    { "get-header-value-trim", "GET", "/", "",
      { "My-Header1: value1", "My-Header2: \"a   b   c\"", NULL }, "", NULL,
      "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature="
      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },

    { "get-header-key-duplicate", "GET", "/", "",
      { "My-Header1:value2", "My-Header1:value2", "My-Header1:value1",
        NULL }, "", NULL,
      "SignedHeaders=host;my-header1;x-amz-date, Signature="
      "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },

    { "post-vanilla", "POST", "/", "", { NULL }, "", NULL,
      "SignedHeaders=host;x-amz-date, Signature="
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },

    { "post-vanilla-query", "POST", "/", "Param1=value1", { NULL }, "",
      NULL,
      "SignedHeaders=host;x-amz-date, Signature="
      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },

    { "post-header-value-case", "POST", "/", "", { "My-Header1:VALUE1", NULL },
      "", NULL,
      "SignedHeaders=host;my-header1;x-amz-date, Signature="
      "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },

    { "post-x-www-form-urlencoded", "POST", "/", "",
      { "Content-Type:application/x-www-form-urlencoded", NULL },
      "Param1=value1", NULL,
      "SignedHeaders=content-type;host;x-amz-date, Signature="
      "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },

    { "post-x-www-form-urlencoded-parameters", "POST", "/", "",
      { "Content-Type:application/x-www-form-urlencoded; charset=utf8",
        NULL },
      "Param1=value1", NULL,
      "SignedHeaders=content-type;host;x-amz-date, Signature="
      "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe" },

    { "post-sts-header-before", "POST", "/", "", { NULL }, "", SUITE_TOKEN,
      "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="
      "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
};

/* canonical requests (the suite's *.creq) */
static const struct {
    const char  *name;
    const char  *method;
    const char  *path;
    const char  *header;
    const char  *body;
    const char  *creq;
} suite_creqs[] = {
    { "get-vanilla", "GET", "/", NULL, "",
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "post-x-www-form-urlencoded", "POST", "/",
      "Content-Type:application/x-www-form-urlencoded", "Param1=value1",
      "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
      "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "content-type;host;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e" },
    { "normalize-path/get-relative", "GET", "/example/..", NULL, "",
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "normalize-path/get-relative-relative", "GET",
      "/example1/example2/../..", NULL, "",
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "normalize-path/get-slash-dot-slash", "GET", "/./", NULL, "",
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "normalize-path/get-slash-pointless-dot", "GET", "/./example", NULL,
      "",
      "GET\n/example\n\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "normalize-path/get-slashes", "GET", "//example//", NULL, "",
      "GET\n/example/\n\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "normalize-path/get-space", "GET", "/example space/", NULL, "",
      "GET\n/example%20space/\n\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
};

#endif /* WAAV_SIGV4_VECTORS_H */
