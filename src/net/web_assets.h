// The files the server serves to browsers, compiled in (console/meson.build
// generates their definitions from console/ and clients/js/): the web
// console at GET / (index.html, console.js, console.css) and the
// JavaScript client at GET /client.js. The router serves them byte for
// byte, without credentials; the console asks for its own.
//
// Any thread: each returns a view of constant data.
#pragma once

#include <string_view>

namespace pubsub::net {

std::string_view console_html();  // console/index.html
std::string_view console_js();    // console/console.js
std::string_view console_css();   // console/console.css
std::string_view client_js();     // clients/js/client.js

}  // namespace pubsub::net
