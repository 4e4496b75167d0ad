#include <iostream>
#include <map>
#include <string>
#include <vector>
#include <algorithm>
int main() {
  std::vector<std::string> v{"pear", "apple", "fig"};
  std::sort(v.begin(), v.end());
  std::map<std::string, size_t> m;
  for (const auto &s : v) m[s] = s.size();
  for (const auto &[k, n] : m) std::cout << k << '=' << n << ' ';
  try { throw std::runtime_error("caught"); } catch (const std::exception &e) { std::cout << e.what() << '\n'; }
  return 0;
}
